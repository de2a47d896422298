CREATE SEQUENCE "public"."read_cache_changes" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "delivery_claims" (
	"delivery_id" bigint PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"until_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_throttle_counters" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"last_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_buckets" (
	"key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"at_ms" bigint NOT NULL,
	"full_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "delivery_claims_until_ms" ON "delivery_claims" USING btree ("until_ms");--> statement-breakpoint
CREATE INDEX "login_throttle_counters_last_ms" ON "login_throttle_counters" USING btree ("last_ms");--> statement-breakpoint
CREATE INDEX "rate_buckets_full_at_ms" ON "rate_buckets" USING btree ("full_at_ms");