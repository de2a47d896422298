CREATE TABLE `global_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`content` text NOT NULL,
	`media_type` text NOT NULL,
	`severity` text NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `global_messages_uuid_unique` ON `global_messages` (`uuid`);