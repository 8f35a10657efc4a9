import type { Writable } from "node:stream";

const LEVELS: Record<number, [string, string]> = {
  10: ["TRACE", "\x1b[90m"],
  20: ["DEBUG", "\x1b[36m"],
  30: ["INFO ", "\x1b[32m"],
  40: ["WARN ", "\x1b[33m"],
  50: ["ERROR", "\x1b[31m"],
  60: ["FATAL", "\x1b[35m"],
};
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";
// what every line carries and the line shows in its own place
const SHOWN = new Set(["level", "time", "msg", "pid", "hostname", "app"]);

/** One JSON log line as a terminal line: time, level, message, then the other fields. */
export function prettyLine(json: string, color: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const [name, tint] = LEVELS[rec.level as number] ?? ["LOG  ", ""];
  const time = new Date(typeof rec.time === "number" ? rec.time : Date.now())
    .toISOString()
    .slice(11, 23);
  const fields: string[] = [];
  let stack = "";
  for (const [k, v] of Object.entries(rec)) {
    if (SHOWN.has(k)) continue;
    if (k === "err" && v && typeof v === "object" && "stack" in v) {
      stack = `\n${String((v as { stack: unknown }).stack)}`;
      continue;
    }
    fields.push(`${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  const paint = (c: string, s: string) => (color ? `${c}${s}${RESET}` : s);
  const rest = fields.length ? ` ${paint(DIM, fields.join(" "))}` : "";
  return `${paint(DIM, time)} ${paint(tint, name)} ${String(rec.msg ?? "")}${rest}${stack}`;
}

/** A pino destination that writes readable lines to a terminal. */
export function prettyDestination(out: Writable & { isTTY?: boolean }) {
  const color = Boolean(out.isTTY);
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line) out.write(`${prettyLine(line, color)}\n`);
    },
  };
}
