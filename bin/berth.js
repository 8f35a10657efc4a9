#!/usr/bin/env node
// The berth command. Node >= 22.19 runs the TypeScript sources directly.
// Deploying to a server (src/cli/remote/) and administering a data directory (src/cli/)
// load only their own modules.
const remote = ["login", "deploy", "rollback", "deployments", "logs", "status"];
if (remote.includes(process.argv[2] ?? "")) {
  const { main } = await import("../src/cli/remote/main.ts");
  process.exitCode = await main(process.argv.slice(2), process.env);
} else {
  const { main } = await import("../src/cli/main.ts");
  await main();
}
