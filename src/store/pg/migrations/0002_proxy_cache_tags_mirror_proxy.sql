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
CREATE INDEX "proxy_cache_tags_pulled" ON "proxy_cache_tags" USING btree ("pulled_ms");--> statement-breakpoint
-- Tags a proxy cache stored before this table (as SQLite's 0015): checked never (the next pull
-- checks upstream) and pulled never (the first that quota eviction may take).
INSERT INTO "proxy_cache_tags" ("repository_id", "name", "checked_ms", "pulled_ms")
SELECT t."repository_id", t."name", 0, 0 FROM "tags" t
JOIN "repositories" r ON r."id" = t."repository_id"
JOIN "proxy_cache_configs" p ON p."namespace_id" = r."namespace_id"
WHERE t."end_ms" IS NULL
ON CONFLICT DO NOTHING;
