-- Full-text search over the stored output of job runs (the head and tail of each log).
CREATE VIRTUAL TABLE `job_run_output` USING fts5(`run_id` UNINDEXED, `body`);
