CREATE TABLE `proxy_cache_configs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`namespace_id` integer NOT NULL,
	`upstream_registry` text NOT NULL,
	`username` text,
	`password` text,
	`expiration_s` integer DEFAULT 86400 NOT NULL,
	`insecure` integer DEFAULT false NOT NULL,
	`created_ms` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`namespace_id`) REFERENCES `namespaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `proxy_cache_configs_namespace_id_unique` ON `proxy_cache_configs` (`namespace_id`);