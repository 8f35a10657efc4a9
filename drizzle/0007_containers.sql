CREATE TABLE `container_deployments` (
	`deployment_id` text PRIMARY KEY NOT NULL,
	`environment_id` integer NOT NULL,
	`spec` text NOT NULL,
	`secret_env` text,
	`secret_names` text NOT NULL,
	`secret_version` integer NOT NULL,
	`registry` text,
	`image_digest` text,
	`restores` text,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `container_deployments_env` ON `container_deployments` (`environment_id`);--> statement-breakpoint
CREATE TABLE `container_specs` (
	`environment_id` integer PRIMARY KEY NOT NULL,
	`spec` text NOT NULL,
	`secret_env` text,
	`secret_names` text NOT NULL,
	`secret_version` integer DEFAULT 0 NOT NULL,
	`registry` text,
	`stopped_replicas` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
