CREATE TABLE `artifacts` (
	`id` text PRIMARY KEY NOT NULL,
	`service_id` integer NOT NULL,
	`build_id` text,
	`commit_sha` text,
	`bundle_sha256` text NOT NULL,
	`bundle_bytes` integer NOT NULL,
	`file_count` integer NOT NULL,
	`good` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `artifacts_service` ON `artifacts` (`service_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `build_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`build_id` text NOT NULL,
	`at` integer NOT NULL,
	`stream` text NOT NULL,
	`level` text DEFAULT 'info' NOT NULL,
	`message` text NOT NULL,
	FOREIGN KEY (`build_id`) REFERENCES `builds`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `build_logs_build` ON `build_logs` (`build_id`,`id`);--> statement-breakpoint
CREATE TABLE `builds` (
	`id` text PRIMARY KEY NOT NULL,
	`service_id` integer NOT NULL,
	`status` text NOT NULL,
	`trigger` text NOT NULL,
	`triggered_by` text NOT NULL,
	`ref` text NOT NULL,
	`environment` text,
	`commit_sha` text,
	`commit_message` text,
	`failed_command` text,
	`exit_code` integer,
	`error_message` text,
	`artifact_id` text,
	`deployment_id` text,
	`cancel_requested` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `builds_service` ON `builds` (`service_id`,`id`);--> statement-breakpoint
CREATE TABLE `git_sources` (
	`service_id` integer PRIMARY KEY NOT NULL,
	`repo_url` text NOT NULL,
	`auth_kind` text DEFAULT 'none' NOT NULL,
	`credential` text,
	`commands` text NOT NULL,
	`output_dir` text DEFAULT 'dist' NOT NULL,
	`branches` text NOT NULL,
	`variables` text NOT NULL,
	`timeout_seconds` integer DEFAULT 900 NOT NULL,
	`webhook_secret` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`status` text NOT NULL,
	`lease_owner` text,
	`lease_expires_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `tasks_status` ON `tasks` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`provider` text NOT NULL,
	`delivery_id` text NOT NULL,
	`service_id` integer NOT NULL,
	`received_at` integer NOT NULL,
	`outcome` text NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_unique` ON `webhook_deliveries` (`provider`,`delivery_id`);--> statement-breakpoint
ALTER TABLE `deployments` ADD `artifact_id` text;--> statement-breakpoint
ALTER TABLE `environments` ADD `health_path` text;--> statement-breakpoint
ALTER TABLE `environments` ADD `health_status` integer DEFAULT 200 NOT NULL;--> statement-breakpoint
ALTER TABLE `environments` ADD `health_keyword` text;--> statement-breakpoint
ALTER TABLE `environments` ADD `health_timeout_ms` integer DEFAULT 5000 NOT NULL;--> statement-breakpoint
ALTER TABLE `environments` ADD `health_retries` integer DEFAULT 3 NOT NULL;