CREATE TABLE `deployment_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`deployment_id` text NOT NULL,
	`at` integer NOT NULL,
	`step` text NOT NULL,
	`level` text DEFAULT 'info' NOT NULL,
	`message` text NOT NULL,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployment_logs_deployment` ON `deployment_logs` (`deployment_id`,`id`);--> statement-breakpoint
CREATE TABLE `deployments` (
	`id` text PRIMARY KEY NOT NULL,
	`environment_id` integer NOT NULL,
	`status` text NOT NULL,
	`source` text DEFAULT 'upload' NOT NULL,
	`redeploy_of` text,
	`bundle_sha256` text NOT NULL,
	`bundle_format` text NOT NULL,
	`bundle_bytes` integer NOT NULL,
	`message` text,
	`commit` text,
	`file_count` integer,
	`total_bytes` integer,
	`failed_stage` text,
	`error_code` text,
	`error_message` text,
	`pruned` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`activated_at` integer,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployments_env_created` ON `deployments` (`environment_id`,`id`);--> statement-breakpoint
CREATE INDEX `deployments_status` ON `deployments` (`status`);--> statement-breakpoint
CREATE TABLE `environment_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`environment_id` integer NOT NULL,
	`at` integer NOT NULL,
	`action` text NOT NULL,
	`deployment_id` text,
	`message` text NOT NULL,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `environment_events_env` ON `environment_events` (`environment_id`,`id`);--> statement-breakpoint
CREATE TABLE `environments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`service_id` integer NOT NULL,
	`name` text NOT NULL,
	`retention` integer DEFAULT 10 NOT NULL,
	`spa_fallback` integer DEFAULT false NOT NULL,
	`live_deployment_id` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `environments_service_name` ON `environments` (`service_id`,`name`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'static' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `services_name_unique` ON `services` (`name`);