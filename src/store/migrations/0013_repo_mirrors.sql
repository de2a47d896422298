CREATE TABLE `repo_mirrors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repository_id` integer NOT NULL,
	`is_enabled` integer DEFAULT true NOT NULL,
	`robot_id` integer,
	`external_reference` text NOT NULL,
	`username` text,
	`password` text,
	`verify_tls` integer DEFAULT true NOT NULL,
	`unsigned_images` integer DEFAULT false NOT NULL,
	`tag_globs` text NOT NULL,
	`architecture_filter` text DEFAULT '[]' NOT NULL,
	`sync_interval_s` integer NOT NULL,
	`sync_start_ms` integer,
	`sync_expiration_ms` integer,
	`sync_retries_remaining` integer DEFAULT 3 NOT NULL,
	`sync_status` text DEFAULT 'NEVER_RUN' NOT NULL,
	`sync_transaction_id` text NOT NULL,
	`timeout_s` integer NOT NULL,
	`last_error` text,
	`last_sync_ms` integer,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`robot_id`) REFERENCES `robots`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repo_mirrors_repository_id_unique` ON `repo_mirrors` (`repository_id`);