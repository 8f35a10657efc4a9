#!/usr/bin/env node
// The berth command. Node >= 22.19 runs the TypeScript sources directly; run it as
// `berth` (or `bin/berth.js`) rather than through npx, which adds seconds. The
// compile cache (in the temp directory) spares stripping the types on every run.
import module from "node:module";

module.enableCompileCache?.();
const { start } = await import("../src/cli/entry.ts");
await start(process.argv.slice(2));
