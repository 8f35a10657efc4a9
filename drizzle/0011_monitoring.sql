CREATE TABLE `environment_monitoring` (
	`environment_id` integer PRIMARY KEY NOT NULL,
	`auto_monitor` integer DEFAULT true NOT NULL,
	`badges_public` integer DEFAULT false NOT NULL,
	`badge_token` text
);
--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`monitor_id` integer NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`message` text NOT NULL,
	`deployment_id` text,
	`build_id` text,
	`context` text,
	`suppressed` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`monitor_id`) REFERENCES `monitors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incidents_monitor` ON `incidents` (`monitor_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `maintenance_windows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`monitor_id` integer,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`monitor_id`) REFERENCES `monitors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `monitor_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`monitor_id` integer NOT NULL,
	`at` integer NOT NULL,
	`ok` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`code` integer,
	`message` text NOT NULL,
	FOREIGN KEY (`monitor_id`) REFERENCES `monitors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `monitor_checks_monitor_at` ON `monitor_checks` (`monitor_id`,`at`);--> statement-breakpoint
CREATE TABLE `monitor_stats` (
	`monitor_id` integer NOT NULL,
	`grain` text NOT NULL,
	`bucket` integer NOT NULL,
	`up` integer NOT NULL,
	`down` integer NOT NULL,
	`latency_sum` integer NOT NULL,
	`latency_min` integer NOT NULL,
	`latency_max` integer NOT NULL,
	PRIMARY KEY(`monitor_id`, `grain`, `bucket`),
	FOREIGN KEY (`monitor_id`) REFERENCES `monitors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `monitor_stats_grain_bucket` ON `monitor_stats` (`grain`,`bucket`);--> statement-breakpoint
CREATE TABLE `monitors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`url` text,
	`method` text DEFAULT 'GET' NOT NULL,
	`headers` text NOT NULL,
	`body` text,
	`host` text,
	`port` integer,
	`environment_id` integer,
	`service_id` integer,
	`auto` integer DEFAULT false NOT NULL,
	`interval_s` integer DEFAULT 60 NOT NULL,
	`fast_interval_s` integer DEFAULT 10 NOT NULL,
	`failures_before_down` integer DEFAULT 2 NOT NULL,
	`successes_before_up` integer DEFAULT 1 NOT NULL,
	`expected_status` integer DEFAULT 200 NOT NULL,
	`keyword` text,
	`keyword_absent` integer DEFAULT false NOT NULL,
	`timeout_ms` integer DEFAULT 10000 NOT NULL,
	`cert_expiry_days` integer DEFAULT 14 NOT NULL,
	`push_token_hash` text,
	`paused` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `monitors_push_token_hash_unique` ON `monitors` (`push_token_hash`);--> statement-breakpoint
CREATE INDEX `monitors_environment` ON `monitors` (`environment_id`);--> statement-breakpoint
CREATE TABLE `notify_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`config` text NOT NULL,
	`secret` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `notify_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel_id` integer NOT NULL,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`channel_id`) REFERENCES `notify_channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notify_deliveries_channel` ON `notify_deliveries` (`channel_id`,`id`);--> statement-breakpoint
CREATE TABLE `notify_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel_id` integer NOT NULL,
	`event` text NOT NULL,
	`service` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`channel_id`) REFERENCES `notify_channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notify_rules_event` ON `notify_rules` (`event`);--> statement-breakpoint
ALTER TABLE `tasks` ADD `run_after` integer;