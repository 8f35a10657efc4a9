CREATE TABLE `job_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` integer NOT NULL,
	`template_version_id` integer NOT NULL,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`triggered_by` text NOT NULL,
	`rerun_of` text,
	`retry_of` text,
	`attempt` integer DEFAULT 1 NOT NULL,
	`args` text NOT NULL,
	`secret_names` text NOT NULL,
	`files` text NOT NULL,
	`scheduled_for` integer,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`exit_code` integer,
	`duration_ms` integer,
	`paused_ms` integer DEFAULT 0 NOT NULL,
	`paused_at` integer,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`pid` integer,
	`message` text,
	`log_bytes` integer DEFAULT 0 NOT NULL,
	`log_dropped` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`template_version_id`) REFERENCES `job_template_versions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `job_runs_job` ON `job_runs` (`job_id`,`id`);--> statement-breakpoint
CREATE INDEX `job_runs_status` ON `job_runs` (`status`,`scheduled_for`);--> statement-breakpoint
CREATE TABLE `job_template_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`template_id` integer NOT NULL,
	`version` integer NOT NULL,
	`interpreter` text NOT NULL,
	`body` text NOT NULL,
	`params` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`template_id`) REFERENCES `job_templates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_template_versions_v` ON `job_template_versions` (`template_id`,`version`);--> statement-breakpoint
CREATE TABLE `job_templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`latest_version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_templates_name_unique` ON `job_templates` (`name`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`template_id` integer NOT NULL,
	`pinned_version` integer,
	`args` text NOT NULL,
	`category` text DEFAULT 'general' NOT NULL,
	`tags` text NOT NULL,
	`cron` text,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`catch_up` text DEFAULT 'skip' NOT NULL,
	`concurrency` text DEFAULT 'allow' NOT NULL,
	`timeout_seconds` integer DEFAULT 3600 NOT NULL,
	`retries` integer DEFAULT 0 NOT NULL,
	`retry_delay_seconds` integer DEFAULT 30 NOT NULL,
	`output_cap_bytes` integer NOT NULL,
	`schedule_enabled` integer DEFAULT true NOT NULL,
	`schedule_paused_reason` text,
	`retention` integer DEFAULT 50 NOT NULL,
	`next_fire_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`template_id`) REFERENCES `job_templates`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_name_unique` ON `jobs` (`name`);--> statement-breakpoint
CREATE INDEX `jobs_next_fire` ON `jobs` (`next_fire_at`);--> statement-breakpoint
CREATE INDEX `jobs_category` ON `jobs` (`category`);