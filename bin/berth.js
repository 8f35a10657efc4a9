#!/usr/bin/env node
// The berth command. Node >= 22.19 runs the TypeScript sources directly.
import { main } from "../src/cli/main.ts";

await main();
