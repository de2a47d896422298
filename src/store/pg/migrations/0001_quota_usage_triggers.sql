-- The storage usage triggers of the SQLite migration 0012_quota_usage_triggers.sql, statement for
-- statement, in PL/pgSQL (read the reasons there). Differences forced by PostgreSQL: a trigger
-- calls a function; a trigger's WHEN cannot hold a subquery (the check moves into the function);
-- ON CONFLICT's SET names the target table's columns with the table. On a repository's removal
-- the cascade deletes its manifests after the repository row, which their trigger no longer sees,
-- as in SQLite. No backfill: a PostgreSQL database starts empty.
CREATE FUNCTION "quota_count_manifest_blob"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "repository_blob_refs" ("repository_id", "namespace_id", "digest", "refs")
    SELECT m."repository_id", r."namespace_id", NEW."digest", 1 FROM "manifests" m JOIN "repositories" r ON r."id" = m."repository_id"
    WHERE m."id" = NEW."manifest_id"
    ON CONFLICT ("repository_id", "digest") DO UPDATE SET "refs" = "repository_blob_refs"."refs" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "quota_count_manifest_blob" AFTER INSERT ON "manifest_blobs" FOR EACH ROW EXECUTE FUNCTION "quota_count_manifest_blob"();
--> statement-breakpoint
CREATE FUNCTION "quota_uncount_manifest"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "repositories" WHERE "id" = OLD."repository_id") THEN
    UPDATE "repository_blob_refs" SET "refs" = "refs" - 1
      WHERE "repository_id" = OLD."repository_id" AND "digest" IN (SELECT "digest" FROM "manifest_blobs" WHERE "manifest_id" = OLD."id");
    DELETE FROM "repository_blob_refs" WHERE "repository_id" = OLD."repository_id" AND "refs" <= 0;
  END IF;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER "quota_uncount_manifest" BEFORE DELETE ON "manifests" FOR EACH ROW EXECUTE FUNCTION "quota_uncount_manifest"();
--> statement-breakpoint
CREATE FUNCTION "quota_count_repository_blob"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "repository_usage" ("repository_id", "size_bytes")
    SELECT NEW."repository_id", "size" FROM "blobs" WHERE "digest" = NEW."digest"
    ON CONFLICT ("repository_id") DO UPDATE SET "size_bytes" = "repository_usage"."size_bytes" + EXCLUDED."size_bytes";
  INSERT INTO "namespace_blob_refs" ("namespace_id", "digest", "refs") VALUES (NEW."namespace_id", NEW."digest", 1)
    ON CONFLICT ("namespace_id", "digest") DO UPDATE SET "refs" = "namespace_blob_refs"."refs" + 1;
  INSERT INTO "namespace_usage" ("namespace_id", "size_bytes")
    SELECT NEW."namespace_id", "size" FROM "blobs"
    WHERE "digest" = NEW."digest"
      AND (SELECT "refs" FROM "namespace_blob_refs" WHERE "namespace_id" = NEW."namespace_id" AND "digest" = NEW."digest") = 1
    ON CONFLICT ("namespace_id") DO UPDATE SET "size_bytes" = "namespace_usage"."size_bytes" + EXCLUDED."size_bytes";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "quota_count_repository_blob" AFTER INSERT ON "repository_blob_refs" FOR EACH ROW EXECUTE FUNCTION "quota_count_repository_blob"();
--> statement-breakpoint
CREATE FUNCTION "quota_uncount_repository_blob"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "repository_usage" SET "size_bytes" = "size_bytes" - (SELECT "size" FROM "blobs" WHERE "digest" = OLD."digest")
    WHERE "repository_id" = OLD."repository_id" AND EXISTS (SELECT 1 FROM "blobs" WHERE "digest" = OLD."digest");
  UPDATE "namespace_blob_refs" SET "refs" = "refs" - 1 WHERE "namespace_id" = OLD."namespace_id" AND "digest" = OLD."digest";
  UPDATE "namespace_usage" SET "size_bytes" = "size_bytes" - (SELECT "size" FROM "blobs" WHERE "digest" = OLD."digest")
    WHERE "namespace_id" = OLD."namespace_id" AND EXISTS (SELECT 1 FROM "blobs" WHERE "digest" = OLD."digest")
      AND EXISTS (SELECT 1 FROM "namespace_blob_refs" WHERE "namespace_id" = OLD."namespace_id" AND "digest" = OLD."digest" AND "refs" <= 0);
  DELETE FROM "namespace_blob_refs" WHERE "namespace_id" = OLD."namespace_id" AND "digest" = OLD."digest" AND "refs" <= 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "quota_uncount_repository_blob" AFTER DELETE ON "repository_blob_refs" FOR EACH ROW EXECUTE FUNCTION "quota_uncount_repository_blob"();
--> statement-breakpoint
CREATE FUNCTION "quota_count_blob_row"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "repository_usage" ("repository_id", "size_bytes")
    SELECT "repository_id", NEW."size" FROM "repository_blob_refs" WHERE "digest" = NEW."digest"
    ON CONFLICT ("repository_id") DO UPDATE SET "size_bytes" = "repository_usage"."size_bytes" + EXCLUDED."size_bytes";
  INSERT INTO "namespace_usage" ("namespace_id", "size_bytes")
    SELECT "namespace_id", NEW."size" FROM "namespace_blob_refs" WHERE "digest" = NEW."digest"
    ON CONFLICT ("namespace_id") DO UPDATE SET "size_bytes" = "namespace_usage"."size_bytes" + EXCLUDED."size_bytes";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "quota_count_blob_row" AFTER INSERT ON "blobs" FOR EACH ROW EXECUTE FUNCTION "quota_count_blob_row"();
--> statement-breakpoint
CREATE FUNCTION "quota_uncount_blob_row"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "repository_usage" SET "size_bytes" = "size_bytes" - OLD."size"
    WHERE "repository_id" IN (SELECT "repository_id" FROM "repository_blob_refs" WHERE "digest" = OLD."digest");
  UPDATE "namespace_usage" SET "size_bytes" = "size_bytes" - OLD."size"
    WHERE "namespace_id" IN (SELECT "namespace_id" FROM "namespace_blob_refs" WHERE "digest" = OLD."digest");
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "quota_uncount_blob_row" AFTER DELETE ON "blobs" FOR EACH ROW EXECUTE FUNCTION "quota_uncount_blob_row"();
