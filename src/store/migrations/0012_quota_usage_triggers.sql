-- Storage usage of repositories and namespaces (src/store/tables/quotas.ts), kept by the database
-- itself: each blob a manifest names counts once per repository and once per namespace, whichever
-- path adds or removes the manifest.
-- - A manifest_blobs row counts its blob in its repository (repository_blob_refs); a blob new to
--   the repository counts in the repository's usage and in its namespace (namespace_blob_refs,
--   one per repository), and a blob new to the namespace in the namespace's usage.
-- - A manifest is uncounted BEFORE its deletion (its manifest_blobs rows are still there). When
--   its repository goes, the manifest is not uncounted (foreign keys delete a parent row before
--   its children: the repository row is gone); the repository's refs rows go by cascade instead,
--   and each uncounts itself from the namespace (it carries the namespace's id).
-- - A blob row that appears or goes (a foreign layer pushed later, a repair) adds or takes its
--   bytes where manifests name it. Blob rows never change size.
CREATE TRIGGER `quota_count_manifest_blob` AFTER INSERT ON `manifest_blobs`
BEGIN
  INSERT INTO `repository_blob_refs` (`repository_id`, `namespace_id`, `digest`, `refs`)
    SELECT m.`repository_id`, r.`namespace_id`, NEW.`digest`, 1 FROM `manifests` m JOIN `repositories` r ON r.`id` = m.`repository_id`
    WHERE m.`id` = NEW.`manifest_id`
    ON CONFLICT (`repository_id`, `digest`) DO UPDATE SET `refs` = `refs` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_uncount_manifest` BEFORE DELETE ON `manifests`
WHEN EXISTS (SELECT 1 FROM `repositories` WHERE `id` = OLD.`repository_id`)
BEGIN
  UPDATE `repository_blob_refs` SET `refs` = `refs` - 1
    WHERE `repository_id` = OLD.`repository_id` AND `digest` IN (SELECT `digest` FROM `manifest_blobs` WHERE `manifest_id` = OLD.`id`);
  DELETE FROM `repository_blob_refs` WHERE `repository_id` = OLD.`repository_id` AND `refs` <= 0;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_count_repository_blob` AFTER INSERT ON `repository_blob_refs`
BEGIN
  INSERT INTO `repository_usage` (`repository_id`, `size_bytes`)
    SELECT NEW.`repository_id`, `size` FROM `blobs` WHERE `digest` = NEW.`digest`
    ON CONFLICT (`repository_id`) DO UPDATE SET `size_bytes` = `size_bytes` + excluded.`size_bytes`;
  INSERT INTO `namespace_blob_refs` (`namespace_id`, `digest`, `refs`) VALUES (NEW.`namespace_id`, NEW.`digest`, 1)
    ON CONFLICT (`namespace_id`, `digest`) DO UPDATE SET `refs` = `refs` + 1;
  INSERT INTO `namespace_usage` (`namespace_id`, `size_bytes`)
    SELECT NEW.`namespace_id`, `size` FROM `blobs`
    WHERE `digest` = NEW.`digest`
      AND (SELECT `refs` FROM `namespace_blob_refs` WHERE `namespace_id` = NEW.`namespace_id` AND `digest` = NEW.`digest`) = 1
    ON CONFLICT (`namespace_id`) DO UPDATE SET `size_bytes` = `size_bytes` + excluded.`size_bytes`;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_uncount_repository_blob` AFTER DELETE ON `repository_blob_refs`
BEGIN
  UPDATE `repository_usage` SET `size_bytes` = `size_bytes` - (SELECT `size` FROM `blobs` WHERE `digest` = OLD.`digest`)
    WHERE `repository_id` = OLD.`repository_id` AND EXISTS (SELECT 1 FROM `blobs` WHERE `digest` = OLD.`digest`);
  UPDATE `namespace_blob_refs` SET `refs` = `refs` - 1 WHERE `namespace_id` = OLD.`namespace_id` AND `digest` = OLD.`digest`;
  UPDATE `namespace_usage` SET `size_bytes` = `size_bytes` - (SELECT `size` FROM `blobs` WHERE `digest` = OLD.`digest`)
    WHERE `namespace_id` = OLD.`namespace_id` AND EXISTS (SELECT 1 FROM `blobs` WHERE `digest` = OLD.`digest`)
      AND EXISTS (SELECT 1 FROM `namespace_blob_refs` WHERE `namespace_id` = OLD.`namespace_id` AND `digest` = OLD.`digest` AND `refs` <= 0);
  DELETE FROM `namespace_blob_refs` WHERE `namespace_id` = OLD.`namespace_id` AND `digest` = OLD.`digest` AND `refs` <= 0;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_count_blob_row` AFTER INSERT ON `blobs`
BEGIN
  INSERT INTO `repository_usage` (`repository_id`, `size_bytes`)
    SELECT `repository_id`, NEW.`size` FROM `repository_blob_refs` WHERE `digest` = NEW.`digest`
    ON CONFLICT (`repository_id`) DO UPDATE SET `size_bytes` = `size_bytes` + excluded.`size_bytes`;
  INSERT INTO `namespace_usage` (`namespace_id`, `size_bytes`)
    SELECT `namespace_id`, NEW.`size` FROM `namespace_blob_refs` WHERE `digest` = NEW.`digest`
    ON CONFLICT (`namespace_id`) DO UPDATE SET `size_bytes` = `size_bytes` + excluded.`size_bytes`;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_uncount_blob_row` AFTER DELETE ON `blobs`
BEGIN
  UPDATE `repository_usage` SET `size_bytes` = `size_bytes` - OLD.`size`
    WHERE `repository_id` IN (SELECT `repository_id` FROM `repository_blob_refs` WHERE `digest` = OLD.`digest`);
  UPDATE `namespace_usage` SET `size_bytes` = `size_bytes` - OLD.`size`
    WHERE `namespace_id` IN (SELECT `namespace_id` FROM `namespace_blob_refs` WHERE `digest` = OLD.`digest`);
END;
--> statement-breakpoint
-- What the registry held before this migration (inserting the repositories' rows counts the rest).
INSERT INTO `repository_blob_refs` (`repository_id`, `namespace_id`, `digest`, `refs`)
  SELECT m.`repository_id`, r.`namespace_id`, mb.`digest`, COUNT(*) FROM `manifest_blobs` mb
  JOIN `manifests` m ON m.`id` = mb.`manifest_id` JOIN `repositories` r ON r.`id` = m.`repository_id`
  GROUP BY m.`repository_id`, mb.`digest`;
