import fs from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { DomainError } from "../domain/errors.ts";
import { createLogger } from "../log.ts";
import { type Deps, openDeps } from "../services/core/deps.ts";
import type { Io } from "./io.ts";
import { keyCommand } from "./key.ts";
import { readPassword } from "./password-input.ts";
import { usage } from "./usage.ts";
import { userCommand } from "./user.ts";

export type { Io };

const VERSION: string = (
  JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

export async function run(argv: string[], deps: Deps, io: Io): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: "string" },
      service: { type: "string", multiple: true },
      user: { type: "string" },
      scope: { type: "string" },
      expires: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
      init: { type: "boolean" },
      version: { type: "boolean", short: "v" },
    },
  });
  if (values.version) {
    io.out(`berth ${VERSION}`);
    return 0;
  }
  const [area, verb, ...rest] = positionals;
  if (values.help || !area) {
    io.out(usage);
    return area || values.help ? 0 : 2;
  }
  try {
    if (area === "user") return await userCommand(deps, io, verb, rest, values);
    if (area === "key") return keyCommand(deps, io, verb, rest, values);
    io.err(`berth: unknown command "${area}"\n\n${usage}`);
    return 2;
  } catch (err) {
    if (err instanceof DomainError) {
      io.err(`berth: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--version") || argv.includes("-v")) {
    console.log(`berth ${VERSION}`);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`berth: ${err.message}`);
    process.exit(2);
  }
  // run from the wrong folder, a new empty ./data would take the user: refuse instead
  const help = argv.length === 0 || argv.includes("--help") || argv.includes("-h");
  if (!help && !argv.includes("--init") && !fs.existsSync(config.dataDir)) {
    console.error(
      `berth: the data directory ${config.dataDir} does not exist. Run berth where it is, set BERTH_DATA_DIR, or pass --init to create it.`,
    );
    process.exit(2);
  }
  const deps = openDeps(config, createLogger("silent"));
  const db = deps.db;
  try {
    process.exitCode = await run(process.argv.slice(2), deps, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      password: readPassword,
    });
  } catch (err) {
    console.error(`berth: ${(err as Error).message}`);
    process.exitCode = 2;
  } finally {
    db.$client.close();
  }
}
