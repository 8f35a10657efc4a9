CREATE TABLE `domains` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`environment_id` integer NOT NULL,
	`hostname` text NOT NULL,
	`www_redirect` integer DEFAULT false NOT NULL,
	`dns_status` text DEFAULT 'pending' NOT NULL,
	`dns_message` text,
	`cert_status` text DEFAULT 'none' NOT NULL,
	`cert_expires_at` integer,
	`cert_message` text,
	`cert_failures` integer DEFAULT 0 NOT NULL,
	`cert_next_attempt_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domains_hostname_unique` ON `domains` (`hostname`);--> statement-breakpoint
CREATE INDEX `domains_environment` ON `domains` (`environment_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`secret` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `environments` ADD `vhost_generation` integer DEFAULT 0 NOT NULL;