CREATE TABLE "proxy_cache_tags" (
	"repository_id" bigint NOT NULL,
	"name" text NOT NULL,
	"checked_ms" bigint NOT NULL,
	"pulled_ms" bigint NOT NULL,
	CONSTRAINT "proxy_cache_tags_repository_id_name_pk" PRIMARY KEY("repository_id","name")
);
--> statement-breakpoint
ALTER TABLE "repo_mirrors" ADD COLUMN "proxy" text;--> statement-breakpoint
ALTER TABLE "proxy_cache_tags" ADD CONSTRAINT "proxy_cache_tags_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "proxy_cache_tags_pulled" ON "proxy_cache_tags" USING btree ("pulled_ms");