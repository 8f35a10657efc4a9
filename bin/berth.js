#!/usr/bin/env node
// The berth command. Node >= 22.19 runs the TypeScript sources directly; run it as
// `berth` (or `bin/berth.js`) rather than through npx, which adds seconds. The compile
// cache (in the temp directory) spares stripping the types on every run. Deploying to a
// server (src/cli/remote/) and administering a data directory (src/cli/) load only their
// own modules, and `berth --help` loads neither.
import module from "node:module";

module.enableCompileCache?.();
const remote = ["login", "deploy", "rollback", "deployments", "logs", "status", "jobs", "runs"];
if (remote.includes(process.argv[2] ?? "")) {
  const { main } = await import("../src/cli/remote/main.ts");
  process.exitCode = await main(process.argv.slice(2), process.env);
} else {
  const { start } = await import("../src/cli/entry.ts");
  await start(process.argv.slice(2));
}
