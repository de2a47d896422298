CREATE TABLE `oauth_token_assignments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`application_id` integer NOT NULL,
	`assigned_user_id` integer NOT NULL,
	`assigner_user_id` integer,
	`redirect_uri` text NOT NULL,
	`scope` text NOT NULL,
	`response_type` text DEFAULT 'token' NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `oauth_applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`assigned_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`assigner_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_token_assignments_uuid_unique` ON `oauth_token_assignments` (`uuid`);--> statement-breakpoint
CREATE INDEX `oauth_token_assignments_user` ON `oauth_token_assignments` (`assigned_user_id`);