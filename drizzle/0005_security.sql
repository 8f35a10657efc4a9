CREATE TABLE `dns_records` (
	`hostname` text PRIMARY KEY NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
ALTER TABLE `audit_events` ADD `request` text;--> statement-breakpoint
-- records that existing domains synced were made by Berth: it keeps owning them
INSERT OR IGNORE INTO `dns_records` (`hostname`) SELECT `hostname` FROM `domains` WHERE `dns_status` = 'ok';
--> statement-breakpoint
INSERT OR IGNORE INTO `dns_records` (`hostname`) SELECT 'www.' || `hostname` FROM `domains` WHERE `dns_status` = 'ok' AND `www_redirect` = 1;
