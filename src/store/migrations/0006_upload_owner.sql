ALTER TABLE `uploads` ADD `owner` text;--> statement-breakpoint
CREATE INDEX `uploads_owner` ON `uploads` (`owner`,`expires_ms`);