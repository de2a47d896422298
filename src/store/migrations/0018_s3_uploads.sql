CREATE TABLE `s3_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`modified_ms` integer NOT NULL
);
