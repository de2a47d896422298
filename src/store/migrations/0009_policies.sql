CREATE TABLE `autoprune_policies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`namespace_id` integer NOT NULL,
	`repository_id` integer,
	`method` text NOT NULL,
	`value` text NOT NULL,
	`tag_pattern` text,
	`tag_pattern_matches` integer DEFAULT true NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `autoprune_policies_uuid_unique` ON `autoprune_policies` (`uuid`);--> statement-breakpoint
CREATE INDEX `autoprune_policies_ns` ON `autoprune_policies` (`namespace_id`,`repository_id`);--> statement-breakpoint
CREATE INDEX `autoprune_policies_repo` ON `autoprune_policies` (`repository_id`);--> statement-breakpoint
CREATE TABLE `immutability_policies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`namespace_id` integer NOT NULL,
	`repository_id` integer,
	`tag_pattern` text NOT NULL,
	`tag_pattern_matches` integer DEFAULT true NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `immutability_policies_uuid_unique` ON `immutability_policies` (`uuid`);--> statement-breakpoint
CREATE INDEX `immutability_policies_ns` ON `immutability_policies` (`namespace_id`,`repository_id`);--> statement-breakpoint
CREATE INDEX `immutability_policies_repo` ON `immutability_policies` (`repository_id`);