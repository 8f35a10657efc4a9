import { unprocessable } from "../errors.ts";

/** Jobs: script templates with declared parameters, jobs that preset them, runs. */

export const INTERPRETERS = ["sh", "bash", "python3", "node"] as const;
export const PARAM_TYPES = ["string", "number", "boolean", "choice", "file", "secret"] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const RUN_STATUSES = [
  "scheduled",
  "queued",
  "running",
  "paused",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
  "missed",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RUN_TERMINAL: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "interrupted",
  "missed",
]);
/** The outcomes the jobs page counts per category. */
export const OUTCOMES = ["succeeded", "failed", "timed_out", "cancelled"] as const;
/** Ends that a job's retry policy retries. */
export const RETRIED: ReadonlySet<RunStatus> = new Set(["failed", "timed_out", "interrupted"]);

export const TRIGGERS = ["user", "key", "schedule", "rerun", "cli", "retry"] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Runs missed while Berth was down: recorded as missed, one run for all, or each run. */
export const CATCH_UP = ["skip", "once", "all"] as const;
export type CatchUp = (typeof CATCH_UP)[number];
/** A new run while one is running: runs beside it, is skipped, or waits its turn. */
export const CONCURRENCY = ["allow", "skip", "queue"] as const;
export type Concurrency = (typeof CONCURRENCY)[number];

export type ParamDef = {
  name: string;
  type: ParamType;
  required: boolean;
  default?: string | number | boolean | null;
  choices?: string[];
  pattern?: string;
  help?: string;
};

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const JOB_NAME = /^[a-z][a-z0-9]*([-_.][a-z0-9]+)*$/;
export const JOB_NAME_MAX = 60;
export const CATEGORY = /^[\w .-]{1,40}$/;

export function assertJobName(what: "job" | "template", name: string): string {
  if (name.length > JOB_NAME_MAX || !JOB_NAME.test(name)) {
    throw unprocessable(
      `invalid_${what}_name`,
      `"${name}" is not a ${what} name: lowercase letters, digits and single - _ . between them, at most ${JOB_NAME_MAX} characters.`,
      "name",
    );
  }
  return name;
}

export function assertInterpreter(value: string): string {
  if ((INTERPRETERS as readonly string[]).includes(value)) return value;
  if (/^\/[\w./+-]{1,200}$/.test(value) && !value.includes("..")) return value;
  throw unprocessable(
    "invalid_interpreter",
    `The interpreter must be one of ${INTERPRETERS.join(", ")} or an absolute path.`,
    "interpreter",
  );
}

/** Checks declared parameters; errors name the field (`params[2].pattern`). */
export function checkParamDefs(defs: ParamDef[]): ParamDef[] {
  const seen = new Set<string>();
  defs.forEach((d, i) => {
    const at = (f: string) => `params[${i}].${f}`;
    if (!PARAM_NAME.test(d.name))
      throw unprocessable("invalid_param", `"${d.name}" is not a parameter name.`, at("name"));
    const key = d.name.toUpperCase();
    if (seen.has(key))
      throw unprocessable("invalid_param", `Parameter ${d.name} is declared twice.`, at("name"));
    seen.add(key);
    if (d.type === "choice" && !(d.choices && d.choices.length > 0))
      throw unprocessable("invalid_param", `Choice ${d.name} needs choices.`, at("choices"));
    if (d.pattern !== undefined) {
      try {
        new RegExp(d.pattern, "u");
      } catch {
        throw unprocessable(
          "invalid_param",
          `The pattern of ${d.name} is not valid.`,
          at("pattern"),
        );
      }
    }
    if (d.default != null && d.type !== "file" && d.type !== "secret") {
      try {
        argValue(d, d.default, "default");
      } catch (err) {
        throw unprocessable("invalid_param", (err as Error).message, at("default"));
      }
    }
  });
  return defs;
}

/** One argument as the text the script gets; throws 422 naming `args.<name>`. */
export function argValue(d: ParamDef, raw: unknown, field = `args.${d.name}`): string {
  const bad = (why: string) => unprocessable("invalid_argument", `${d.name}: ${why}`, field);
  let text: string;
  switch (d.type) {
    case "number": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : Number.NaN;
      if (typeof raw === "string" && raw.trim() === "") throw bad("expected a number.");
      if (!Number.isFinite(n)) throw bad("expected a number.");
      text = String(n);
      break;
    }
    case "boolean":
      if (raw === true || raw === "true" || raw === "on" || raw === "1") text = "true";
      else if (raw === false || raw === "false" || raw === "0" || raw === "") text = "false";
      else throw bad("expected true or false.");
      break;
    case "file":
      throw bad("send a file for this parameter (multipart).");
    default:
      if (typeof raw !== "string" && typeof raw !== "number") throw bad("expected text.");
      text = String(raw);
  }
  if (text.length > 64 * 1024 || text.includes("\0")) throw bad("too long or not text.");
  if (d.type === "choice" && !d.choices?.includes(text))
    throw bad(`must be one of ${(d.choices ?? []).join(", ")}.`);
  if (d.pattern !== undefined && !new RegExp(`^(?:${d.pattern})$`, "u").test(text))
    throw bad(`does not match ${d.pattern}.`);
  return text;
}

export type IncomingFile = { name: string; size: number };

/**
 * Resolves the arguments of a run: given ones over preset ones over defaults. Unknown
 * names, wrong types, missing required ones and files over the limit are 422s.
 */
export function resolveArgs(
  defs: ParamDef[],
  given: Record<string, unknown>,
  preset: Record<string, string>,
  files: Record<string, IncomingFile>,
  maxFileBytes: number,
): Record<string, string> {
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const name of Object.keys(given)) {
    if (!byName.has(name))
      throw unprocessable("unknown_argument", `There is no parameter ${name}.`, `args.${name}`);
  }
  for (const [name, f] of Object.entries(files)) {
    const d = byName.get(name);
    if (d?.type !== "file")
      throw unprocessable(
        "unknown_argument",
        `There is no file parameter ${name}.`,
        `files.${name}`,
      );
    if (f.size > maxFileBytes)
      throw unprocessable(
        "file_too_large",
        `${name}: over ${maxFileBytes} bytes.`,
        `files.${name}`,
      );
  }
  const out: Record<string, string> = {};
  for (const d of defs) {
    if (d.type === "file") {
      if (d.required && !files[d.name])
        throw unprocessable("missing_argument", `${d.name} is required.`, `files.${d.name}`);
      continue;
    }
    const raw = given[d.name] ?? preset[d.name] ?? d.default ?? undefined;
    if (raw === undefined || raw === null || (raw === "" && d.type !== "boolean")) {
      if (d.required)
        throw unprocessable("missing_argument", `${d.name} is required.`, `args.${d.name}`);
      continue;
    }
    out[d.name] = argValue(d, raw);
  }
  return out;
}

/** Preset arguments of a job: known names, values that pass their checks. */
export function checkPreset(defs: ParamDef[], preset: Record<string, unknown>): void {
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const [name, v] of Object.entries(preset)) {
    const d = byName.get(name);
    if (!d)
      throw unprocessable("unknown_argument", `There is no parameter ${name}.`, `args.${name}`);
    argValue(d, v);
  }
}

export function assertTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    if (tz.trim() === "") throw new Error("empty");
    return tz;
  } catch {
    throw unprocessable("invalid_time_zone", `"${tz}" is not an IANA time zone.`, "timezone");
  }
}

/** The environment variable an argument becomes. */
export const argEnvName = (name: string) => `BERTH_ARG_${name.toUpperCase()}`;

/** Secret argument values as stored with a run: encrypted, or dropped. */
export const MASKED = "***";
