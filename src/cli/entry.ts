import { tuneRuntime } from "../boot/runtime.ts";
import { usage } from "./usage.ts";

/**
 * The berth command's entry: help is answered from this module alone; any other
 * command applies the runtime settings and only then loads the commands and the
 * database layer (never the HTTP server).
 */
export async function start(args: string[]): Promise<void> {
  const help = args.includes("--help") || args.includes("-h");
  if (help || args.length === 0) {
    console.log(usage);
    process.exitCode = help ? 0 : 2;
    return;
  }
  tuneRuntime();
  const { main } = await import("./main.ts");
  await main();
}
