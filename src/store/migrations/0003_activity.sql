CREATE TABLE `log_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`namespace_id` integer,
	`namespace_name` text,
	`repository_id` integer,
	`performer_kind` text,
	`performer_id` integer,
	`performer_name` text,
	`ip` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `log_entries_namespace` ON `log_entries` (`namespace_id`,`created_ms`);--> statement-breakpoint
CREATE INDEX `log_entries_repository` ON `log_entries` (`repository_id`,`created_ms`);--> statement-breakpoint
CREATE INDEX `log_entries_performer` ON `log_entries` (`performer_name`,`created_ms`);--> statement-breakpoint
CREATE INDEX `log_entries_created` ON `log_entries` (`created_ms`);--> statement-breakpoint
CREATE TABLE `manifest_labels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`manifest_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`media_type` text DEFAULT 'text/plain' NOT NULL,
	`source_type` text NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`manifest_id`) REFERENCES `manifests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `manifest_labels_uuid_unique` ON `manifest_labels` (`uuid`);--> statement-breakpoint
CREATE INDEX `manifest_labels_manifest` ON `manifest_labels` (`manifest_id`);--> statement-breakpoint
CREATE TABLE `notification_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`notification_id` integer NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_ms` integer NOT NULL,
	`last_error` text,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`notification_id`) REFERENCES `repository_notifications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notification_deliveries_due` ON `notification_deliveries` (`next_attempt_ms`);--> statement-breakpoint
CREATE TABLE `oauth_access_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`application_id` integer,
	`user_id` integer NOT NULL,
	`scope` text NOT NULL,
	`lookup` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_ms` integer,
	FOREIGN KEY (`application_id`) REFERENCES `oauth_applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_access_tokens_uuid_unique` ON `oauth_access_tokens` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_access_tokens_lookup_unique` ON `oauth_access_tokens` (`lookup`);--> statement-breakpoint
CREATE INDEX `oauth_access_tokens_user` ON `oauth_access_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `oauth_applications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace_id` integer NOT NULL,
	`client_id` text NOT NULL,
	`client_secret` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`application_uri` text DEFAULT '' NOT NULL,
	`redirect_uri` text DEFAULT '' NOT NULL,
	`avatar_email` text,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_applications_client_id_unique` ON `oauth_applications` (`client_id`);--> statement-breakpoint
CREATE TABLE `permission_prototypes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`namespace_id` integer NOT NULL,
	`activating_user_id` integer,
	`activating_robot_id` integer,
	`delegate_user_id` integer,
	`delegate_robot_id` integer,
	`delegate_team_id` integer,
	`role` text NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`activating_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`activating_robot_id`) REFERENCES `robots`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`delegate_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`delegate_robot_id`) REFERENCES `robots`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`delegate_team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `permission_prototypes_uuid_unique` ON `permission_prototypes` (`uuid`);--> statement-breakpoint
CREATE INDEX `permission_prototypes_namespace` ON `permission_prototypes` (`namespace_id`);--> statement-breakpoint
CREATE TABLE `repository_notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`repository_id` integer NOT NULL,
	`event` text NOT NULL,
	`method` text NOT NULL,
	`config` text DEFAULT '{}' NOT NULL,
	`event_config` text DEFAULT '{}' NOT NULL,
	`title` text,
	`number_of_failures` integer DEFAULT 0 NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repository_notifications_uuid_unique` ON `repository_notifications` (`uuid`);--> statement-breakpoint
CREATE INDEX `repository_notifications_repo` ON `repository_notifications` (`repository_id`,`event`);--> statement-breakpoint
CREATE TABLE `stars` (
	`user_id` integer NOT NULL,
	`repository_id` integer NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	PRIMARY KEY(`user_id`, `repository_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `stars_repository` ON `stars` (`repository_id`);--> statement-breakpoint
ALTER TABLE `namespaces` ADD `email` text;--> statement-breakpoint
ALTER TABLE `namespaces` ADD `tag_expiration_s` integer DEFAULT 1209600 NOT NULL;--> statement-breakpoint
ALTER TABLE `robots` ADD `metadata` text;--> statement-breakpoint
ALTER TABLE `robots` ADD `last_accessed_ms` integer;--> statement-breakpoint
ALTER TABLE `tags` ADD `immutable` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `profile` text;