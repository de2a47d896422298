CREATE TABLE `proxy_cache_tags` (
	`repository_id` integer NOT NULL,
	`name` text NOT NULL,
	`checked_ms` integer NOT NULL,
	`pulled_ms` integer NOT NULL,
	PRIMARY KEY(`repository_id`, `name`),
	FOREIGN KEY (`repository_id`) REFERENCES `repositories`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `proxy_cache_tags_pulled` ON `proxy_cache_tags` (`pulled_ms`);--> statement-breakpoint
-- Tags a proxy cache stored before this table: checked never (the next pull checks upstream, as
-- after a restart before) and pulled never (the first that quota eviction may take).
INSERT OR IGNORE INTO `proxy_cache_tags` (`repository_id`, `name`, `checked_ms`, `pulled_ms`)
SELECT t.`repository_id`, t.`name`, 0, 0 FROM `tags` t
JOIN `repositories` r ON r.`id` = t.`repository_id`
JOIN `proxy_cache_configs` p ON p.`namespace_id` = r.`namespace_id`
WHERE t.`end_ms` IS NULL;
