CREATE TABLE `namespace_blob_refs` (
	`namespace_id` integer NOT NULL,
	`digest` text NOT NULL,
	`refs` integer NOT NULL,
	PRIMARY KEY(`namespace_id`, `digest`),
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `namespace_blob_refs_digest` ON `namespace_blob_refs` (`digest`);--> statement-breakpoint
CREATE TABLE `namespace_quotas` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace_id` integer NOT NULL,
	`limit_bytes` integer NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `namespace_quotas_namespace_id_unique` ON `namespace_quotas` (`namespace_id`);--> statement-breakpoint
CREATE TABLE `namespace_usage` (
	`namespace_id` integer PRIMARY KEY NOT NULL,
	`size_bytes` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `quota_limits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`quota_id` integer NOT NULL,
	`type` text NOT NULL,
	`percent` integer NOT NULL,
	FOREIGN KEY (`quota_id`) REFERENCES `namespace_quotas`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quota_limits_quota_type_percent` ON `quota_limits` (`quota_id`,`type`,`percent`);--> statement-breakpoint
CREATE TABLE `quota_notices` (
	`namespace_id` integer NOT NULL,
	`threshold_percent` integer NOT NULL,
	`notified_ms` integer NOT NULL,
	`cleared` integer DEFAULT false NOT NULL,
	`reached` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`namespace_id`, `threshold_percent`),
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `repository_blob_refs` (
	`repository_id` integer NOT NULL,
	`namespace_id` integer NOT NULL,
	`digest` text NOT NULL,
	`refs` integer NOT NULL,
	PRIMARY KEY(`repository_id`, `digest`),
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `repository_blob_refs_digest` ON `repository_blob_refs` (`digest`);--> statement-breakpoint
CREATE INDEX `repository_blob_refs_unreferenced` ON `repository_blob_refs` (`repository_id`) WHERE refs <= 0;--> statement-breakpoint
CREATE TABLE `repository_usage` (
	`repository_id` integer PRIMARY KEY NOT NULL,
	`size_bytes` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
