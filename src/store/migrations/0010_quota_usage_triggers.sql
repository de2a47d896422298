-- Namespace usage (src/store/tables/quotas.ts), kept by the database itself: each blob a manifest
-- of the namespace names counts once, whichever path adds or removes the manifest. Foreign keys
-- delete a parent row before its children, so manifest rows are gone when their manifest_blobs
-- rows are deleted, and the repository row is gone when its manifests are: a manifest is
-- uncounted BEFORE its own deletion, a whole repository BEFORE its deletion (its manifests then
-- find no repository and change nothing). Blob rows never change size.
CREATE TRIGGER `quota_count_manifest_blob` AFTER INSERT ON `manifest_blobs`
BEGIN
  INSERT INTO `namespace_blob_refs` (`namespace_id`, `digest`, `refs`)
    SELECT r.`namespace_id`, NEW.`digest`, 1 FROM `manifests` m JOIN `repositories` r ON r.`id` = m.`repository_id`
    WHERE m.`id` = NEW.`manifest_id`
    ON CONFLICT (`namespace_id`, `digest`) DO UPDATE SET `refs` = `refs` + 1;
  INSERT INTO `namespace_usage` (`namespace_id`, `size_bytes`)
    SELECT n.`namespace_id`, b.`size` FROM `namespace_blob_refs` n JOIN `blobs` b ON b.`digest` = n.`digest`
    WHERE n.`digest` = NEW.`digest` AND n.`refs` = 1
      AND n.`namespace_id` = (SELECT r.`namespace_id` FROM `manifests` m JOIN `repositories` r ON r.`id` = m.`repository_id` WHERE m.`id` = NEW.`manifest_id`)
    ON CONFLICT (`namespace_id`) DO UPDATE SET `size_bytes` = `size_bytes` + excluded.`size_bytes`;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_uncount_manifest` BEFORE DELETE ON `manifests`
BEGIN
  UPDATE `namespace_blob_refs` SET `refs` = `refs` - 1
    WHERE `namespace_id` = (SELECT `namespace_id` FROM `repositories` WHERE `id` = OLD.`repository_id`)
      AND `digest` IN (SELECT `digest` FROM `manifest_blobs` WHERE `manifest_id` = OLD.`id`);
  UPDATE `namespace_usage` SET `size_bytes` = `size_bytes` - (
      SELECT COALESCE(SUM(b.`size`), 0) FROM `namespace_blob_refs` n JOIN `blobs` b ON b.`digest` = n.`digest`
      WHERE n.`namespace_id` = `namespace_usage`.`namespace_id` AND n.`refs` <= 0
        AND n.`digest` IN (SELECT `digest` FROM `manifest_blobs` WHERE `manifest_id` = OLD.`id`))
    WHERE `namespace_id` = (SELECT `namespace_id` FROM `repositories` WHERE `id` = OLD.`repository_id`);
  DELETE FROM `namespace_blob_refs`
    WHERE `namespace_id` = (SELECT `namespace_id` FROM `repositories` WHERE `id` = OLD.`repository_id`) AND `refs` <= 0
      AND `digest` IN (SELECT `digest` FROM `manifest_blobs` WHERE `manifest_id` = OLD.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `quota_uncount_repository` BEFORE DELETE ON `repositories`
BEGIN
  UPDATE `namespace_blob_refs` SET `refs` = `refs` - (
      SELECT COUNT(*) FROM `manifest_blobs` mb JOIN `manifests` m ON m.`id` = mb.`manifest_id`
      WHERE m.`repository_id` = OLD.`id` AND mb.`digest` = `namespace_blob_refs`.`digest`)
    WHERE `namespace_id` = OLD.`namespace_id`
      AND `digest` IN (SELECT mb.`digest` FROM `manifest_blobs` mb JOIN `manifests` m ON m.`id` = mb.`manifest_id` WHERE m.`repository_id` = OLD.`id`);
  UPDATE `namespace_usage` SET `size_bytes` = `size_bytes` - (
      SELECT COALESCE(SUM(b.`size`), 0) FROM `namespace_blob_refs` n JOIN `blobs` b ON b.`digest` = n.`digest`
      WHERE n.`namespace_id` = OLD.`namespace_id` AND n.`refs` <= 0
        AND n.`digest` IN (SELECT mb.`digest` FROM `manifest_blobs` mb JOIN `manifests` m ON m.`id` = mb.`manifest_id` WHERE m.`repository_id` = OLD.`id`))
    WHERE `namespace_id` = OLD.`namespace_id`;
  DELETE FROM `namespace_blob_refs`
    WHERE `namespace_id` = OLD.`namespace_id` AND `refs` <= 0
      AND `digest` IN (SELECT mb.`digest` FROM `manifest_blobs` mb JOIN `manifests` m ON m.`id` = mb.`manifest_id` WHERE m.`repository_id` = OLD.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `quota_count_blob_row` AFTER INSERT ON `blobs`
BEGIN
  INSERT INTO `namespace_usage` (`namespace_id`, `size_bytes`)
    SELECT `namespace_id`, NEW.`size` FROM `namespace_blob_refs` WHERE `digest` = NEW.`digest`
    ON CONFLICT (`namespace_id`) DO UPDATE SET `size_bytes` = `size_bytes` + excluded.`size_bytes`;
END;
--> statement-breakpoint
CREATE TRIGGER `quota_uncount_blob_row` AFTER DELETE ON `blobs`
BEGIN
  UPDATE `namespace_usage` SET `size_bytes` = `size_bytes` - OLD.`size`
    WHERE `namespace_id` IN (SELECT `namespace_id` FROM `namespace_blob_refs` WHERE `digest` = OLD.`digest`);
END;
--> statement-breakpoint
-- What the registry held before this migration.
INSERT INTO `namespace_blob_refs` (`namespace_id`, `digest`, `refs`)
  SELECT r.`namespace_id`, mb.`digest`, COUNT(*) FROM `manifest_blobs` mb
  JOIN `manifests` m ON m.`id` = mb.`manifest_id` JOIN `repositories` r ON r.`id` = m.`repository_id`
  GROUP BY r.`namespace_id`, mb.`digest`;
--> statement-breakpoint
INSERT INTO `namespace_usage` (`namespace_id`, `size_bytes`)
  SELECT n.`namespace_id`, SUM(b.`size`) FROM `namespace_blob_refs` n JOIN `blobs` b ON b.`digest` = n.`digest`
  GROUP BY n.`namespace_id`;
