CREATE TABLE `blob_deletions` (
	`digest` text PRIMARY KEY NOT NULL,
	`started_ms` integer NOT NULL,
	`owner` text NOT NULL
);
