CREATE TABLE `proxy_cache_tags` (
	`repository_id` integer NOT NULL,
	`name` text NOT NULL,
	`checked_ms` integer NOT NULL,
	`pulled_ms` integer NOT NULL,
	PRIMARY KEY(`repository_id`, `name`),
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `proxy_cache_tags_pulled` ON `proxy_cache_tags` (`pulled_ms`);