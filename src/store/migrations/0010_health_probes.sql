CREATE TABLE `health_probes` (
	`id` integer PRIMARY KEY NOT NULL,
	`token` text NOT NULL,
	`written_ms` integer NOT NULL
);
