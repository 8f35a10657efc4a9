/** Every table, one file per capability: drizzle-kit and the repos read them from here. */

export * from "./auth.ts";
export * from "./builds.ts";
export * from "./containers.ts";
export * from "./core.ts";
export * from "./edge.ts";
export * from "./jobs.ts";
export * from "./monitoring.ts";
export * from "./notify.ts";
export * from "./releases.ts";
export * from "./reports.ts";
export * from "./usage.ts";
