CREATE TABLE `site_traffic` (
	`environment_id` integer NOT NULL,
	`hour` integer NOT NULL,
	`requests` integer NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`environment_id`, `hour`),
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
