CREATE TABLE `blobs` (
	`digest` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `manifest_blobs` (
	`manifest_id` integer NOT NULL,
	`digest` text NOT NULL,
	PRIMARY KEY(`manifest_id`, `digest`),
	FOREIGN KEY (`manifest_id`) REFERENCES `manifests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `manifest_blobs_digest` ON `manifest_blobs` (`digest`);--> statement-breakpoint
CREATE TABLE `manifest_children` (
	`manifest_id` integer NOT NULL,
	`child_digest` text NOT NULL,
	PRIMARY KEY(`manifest_id`, `child_digest`),
	FOREIGN KEY (`manifest_id`) REFERENCES `manifests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `manifest_children_child` ON `manifest_children` (`child_digest`);--> statement-breakpoint
CREATE TABLE `manifests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repository_id` integer NOT NULL,
	`digest` text NOT NULL,
	`media_type` text NOT NULL,
	`artifact_type` text,
	`subject_digest` text,
	`size` integer NOT NULL,
	`content` blob NOT NULL,
	`annotations` text,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `manifests_repo_digest` ON `manifests` (`repository_id`,`digest`);--> statement-breakpoint
CREATE INDEX `manifests_repo_subject` ON `manifests` (`repository_id`,`subject_digest`);--> statement-breakpoint
CREATE TABLE `namespaces` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'user' NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `namespaces_name_unique` ON `namespaces` (`name`);--> statement-breakpoint
CREATE TABLE `repositories` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace_id` integer NOT NULL,
	`name` text NOT NULL,
	`full_name` text NOT NULL,
	`visibility` text DEFAULT 'private' NOT NULL,
	`description` text,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repositories_full_name_unique` ON `repositories` (`full_name`);--> statement-breakpoint
CREATE UNIQUE INDEX `repositories_ns_name` ON `repositories` (`namespace_id`,`name`);--> statement-breakpoint
CREATE TABLE `repository_blobs` (
	`repository_id` integer NOT NULL,
	`digest` text NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	PRIMARY KEY(`repository_id`, `digest`),
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`digest`) REFERENCES `blobs`(`digest`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `repository_blobs_digest` ON `repository_blobs` (`digest`);--> statement-breakpoint
CREATE TABLE `tags` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`repository_id` integer NOT NULL,
	`name` text NOT NULL,
	`manifest_id` integer NOT NULL,
	`start_ms` integer NOT NULL,
	`end_ms` integer,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`manifest_id`) REFERENCES `manifests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tags_live` ON `tags` (`repository_id`,`name`) WHERE end_ms IS NULL;--> statement-breakpoint
CREATE INDEX `tags_repo_name` ON `tags` (`repository_id`,`name`,`start_ms`);--> statement-breakpoint
CREATE INDEX `tags_manifest` ON `tags` (`manifest_id`);--> statement-breakpoint
CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`repository_id` integer NOT NULL,
	`offset` integer DEFAULT 0 NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_ms` integer NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `uploads_expires` ON `uploads` (`expires_ms`);