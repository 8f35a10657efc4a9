/** The shapes of jobs, runs and templates as the use cases hand them out. */
export type { Job } from "../../db/jobs/jobs-repo.ts";
export type { Run } from "../../db/jobs/runs-repo.ts";
export type { Template, TemplateVersion } from "../../db/jobs/templates-repo.ts";
