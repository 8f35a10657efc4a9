CREATE TABLE `error_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`service_id` integer NOT NULL,
	`group_id` integer NOT NULL,
	`event_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`level` text NOT NULL,
	`message` text NOT NULL,
	`release` text,
	`environment` text,
	`data` text NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `error_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `error_events_event_id` ON `error_events` (`service_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `error_events_group` ON `error_events` (`group_id`,`id`);--> statement-breakpoint
CREATE INDEX `error_events_received` ON `error_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `error_group_hours` (
	`group_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`group_id`, `hour`),
	FOREIGN KEY (`group_id`) REFERENCES `error_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `error_group_users` (
	`group_id` integer NOT NULL,
	`user` text NOT NULL,
	PRIMARY KEY(`group_id`, `user`),
	FOREIGN KEY (`group_id`) REFERENCES `error_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `error_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`service_id` integer NOT NULL,
	`key` text NOT NULL,
	`title` text NOT NULL,
	`culprit` text NOT NULL,
	`level` text NOT NULL,
	`status` text DEFAULT 'unresolved' NOT NULL,
	`regressed` integer DEFAULT false NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`users` integer DEFAULT 0 NOT NULL,
	`environments` text NOT NULL,
	`first_release` text,
	`last_release` text,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`resolved_at` integer,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `error_groups_key` ON `error_groups` (`service_id`,`key`);--> statement-breakpoint
CREATE INDEX `error_groups_service_seen` ON `error_groups` (`service_id`,`last_seen`);--> statement-breakpoint
CREATE TABLE `report_keys` (
	`service_id` integer PRIMARY KEY NOT NULL,
	`public_key` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_keys_public_key_unique` ON `report_keys` (`public_key`);--> statement-breakpoint
CREATE TABLE `site_traffic` (
	`environment_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`requests` integer NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`environment_id`, `hour`),
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
