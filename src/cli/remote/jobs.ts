import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type ClientEnv, loadRemote, need, type Remote, UsageError } from "./config.ts";
import { ApiError, api, upload } from "./http.ts";
import { columns, type Term } from "./output.ts";
import { duration, exitStatus, followRun, printLog, type Run, summary } from "./run-log.ts";

const help = {
  jobs: `berth jobs list | run <job> ... [--json]
  The jobs on the server, and starting one (berth jobs run --help).`,
  "jobs list": `berth jobs list [--json]
  Every job: its category, template, schedule, next run and last result.`,
  "jobs run": `berth jobs run <job> [--arg name=value]... [--file name=path]...
               [--at TIME | --in 10m] [--follow] [--json]
  Starts a run of the job with these arguments (they override the job's presets); a file
  is uploaded for a file parameter. --at takes an ISO 8601 time (or HH:MM, the next one
  in local time), --in a delay in s, m, h or d. --follow prints the output live (stdout
  to stdout, stderr to stderr) and exits with the run's exit code: 0 when it succeeded,
  non-zero when it failed, timed out, was cancelled or interrupted.`,
  runs: `berth runs list | logs | cancel | pause | resume | rerun ... [--json]
  The runs of jobs and what to do with one (berth runs <action> --help).`,
  "runs list": `berth runs list [--status failed[,timed_out]] [--job <name>] [--limit 50] [--json]
  The newest runs first, with who started them, their exit code and duration.`,
  "runs logs": `berth runs logs <run-id> [--follow] [--json]
  A run's output; --follow prints it live (from the newest 64 KiB) until the run ends,
  and exits with the run's exit code.`,
  "runs cancel": `berth runs cancel|pause|resume <run-id> [--json]
  cancel: SIGTERM to every process of the run, then SIGKILL after a grace period.
  pause: stops every process of the run (time paused does not count toward the timeout);
  resume continues them.`,
  "runs rerun": `berth runs rerun <run-id> [--follow] [--json]
  Runs the same job again with the same template version, arguments and files.`,
} as const;
type Topic = keyof typeof help;

/** The first lines of `berth jobs` and `berth runs`, for the client's usage. */
export const JOBS_USAGE = { jobs: help.jobs, runs: help.runs };

const flag = { type: "boolean" } as const;
const text = { type: "string" } as const;
const OPTIONS: Record<string, NonNullable<ParseArgsConfig["options"]>> = {
  "jobs list": {},
  "jobs run": {
    arg: { type: "string", multiple: true, short: "a" },
    file: { type: "string", multiple: true },
    at: text,
    in: text,
    follow: { ...flag, short: "f" },
  },
  "runs list": { status: text, job: text, limit: text },
  "runs logs": { follow: { ...flag, short: "f" } },
  "runs cancel": {},
  "runs rerun": { follow: { ...flag, short: "f" } },
};

const enc = encodeURIComponent;
const when = (iso: string | null) => (iso ? iso.slice(0, 19).replace("T", " ") : "");

/** name=value pairs of repeated flags. */
function pairs(flagName: string, list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (list as string[] | undefined) ?? []) {
    const i = item.indexOf("=");
    if (i <= 0) throw new UsageError(`--${flagName} ${item}: expected name=value.`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** --at or --in as the API's runAt / delaySeconds. */
export function timing(at: unknown, delay: unknown, now = new Date()) {
  if (at !== undefined && delay !== undefined) throw new UsageError("Give --at or --in, not both.");
  if (typeof delay === "string") {
    const m = /^(\d+)\s*(s|m|h|d)?$/.exec(delay.trim());
    if (!m) throw new UsageError(`--in ${delay}: expected a delay like 90s, 10m, 2h or 1d.`);
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s"];
    return { delaySeconds: Number(m[1]) * unit };
  }
  if (typeof at !== "string") return {};
  const hm = /^(\d{1,2}):(\d{2})$/.exec(at.trim());
  let t: Date;
  if (hm) {
    t = new Date(now);
    t.setHours(Number(hm[1]), Number(hm[2]), 0, 0);
    if (t <= now) t.setDate(t.getDate() + 1);
  } else t = new Date(at);
  if (Number.isNaN(t.getTime())) {
    throw new UsageError(`--at ${at}: expected a time like 2026-12-01T03:00:00Z or 03:00.`);
  }
  return { runAt: t.toISOString() };
}

async function startRun(remote: Remote, job: string, values: Record<string, unknown>) {
  const args = pairs("arg", values.arg);
  const files = pairs("file", values.file);
  const later = timing(values.at, values.in);
  const url = `/jobs/${enc(job)}/runs`;
  if (Object.keys(files).length === 0) {
    return api<Run>(remote, url, { method: "POST", json: { args, ...later } });
  }
  const form = new FormData();
  form.set("args", JSON.stringify(args));
  if (later.runAt) form.set("runAt", later.runAt);
  if (later.delaySeconds !== undefined) form.set("delaySeconds", String(later.delaySeconds));
  for (const [name, file] of Object.entries(files)) {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new UsageError(`--file ${name}=${file}: no such file.`);
    }
    form.set(name, await fs.openAsBlob(file), path.basename(file));
  }
  const body = new Response(form);
  const stream = Readable.fromWeb(body.body as ReadableStream);
  return upload<Run>(remote, url, stream, body.headers.get("content-type") ?? "");
}

async function follow(remote: Remote, run: Run, term: Term, json: boolean) {
  if (!json) term.err(`Run ${run.id} of ${run.job} ${run.status}`);
  const done = await followRun(remote, run.id, term, json);
  if (json) term.out(JSON.stringify({ event: "run", ...done }));
  else term.err(summary(done));
  return exitStatus(done);
}

async function command(topic: Topic, verb: string, argv: string[], env: ClientEnv, term: Term) {
  const parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { ...OPTIONS[topic], json: flag, help: { ...flag, short: "h" } },
  });
  const values: Record<string, unknown> = parsed.values;
  const { positionals } = parsed;
  if (values.help) {
    term.out(help[topic]);
    return 0;
  }
  const json = values.json === true;
  const show = (value: unknown) => term.out(JSON.stringify(value, null, 2));
  const wanted = topic === "jobs list" || topic === "runs list" ? 0 : 1;
  if (positionals.length !== wanted) {
    const what = topic === "jobs run" ? "Which job?" : wanted ? "Which run?" : "Unexpected";
    throw new UsageError(`${what} ${positionals.join(" ")}\n\n${help[topic]}`.trimStart());
  }
  const [id = ""] = positionals;
  const remote = need(loadRemote(env));
  switch (topic) {
    case "jobs list": {
      const { items } = await api<{ items: Record<string, unknown>[] }>(remote, "/jobs");
      if (json) show(items);
      else {
        const rows = items.map((j) => {
          const last = j.lastRun as { status: string } | null;
          const cron = j.cron ? `${j.cron}${j.scheduleEnabled ? "" : " (paused)"}` : "";
          const n = [j.name, j.category, j.template, cron, when(j.nextRunAt as string | null)];
          return [...n.map((v) => String(v ?? "")), last?.status ?? ""];
        });
        for (const l of columns(
          ["JOB", "CATEGORY", "TEMPLATE", "SCHEDULE", "NEXT RUN (UTC)", "LAST"],
          rows,
        ))
          term.out(l);
      }
      return 0;
    }
    case "jobs run": {
      const run = await startRun(remote, id, values);
      if (values.follow) return follow(remote, run, term, json);
      if (json) show(run);
      else {
        const at = run.scheduledFor ? ` for ${when(run.scheduledFor)} UTC` : "";
        term.out(`Run ${run.id} of ${run.job} ${run.status}${at}.`);
        term.err(`Follow it with: berth runs logs ${run.id} --follow`);
      }
      return 0;
    }
    case "runs list": {
      const q = new URLSearchParams();
      for (const k of ["status", "job", "limit"] as const) {
        const v = values[k];
        if (typeof v === "string") q.set(k, v);
      }
      const { items } = await api<{ items: Run[] }>(remote, `/runs?${q}`);
      if (json) show(items);
      else {
        const rows = items.map((r) => [
          r.id,
          r.job ?? "",
          r.status,
          r.exitCode === null ? "" : String(r.exitCode),
          r.trigger,
          when(r.startedAt ?? r.scheduledFor ?? r.createdAt),
          duration(r.durationMs),
        ]);
        const head = ["RUN", "JOB", "STATUS", "EXIT", "BY", "STARTED (UTC)", "DURATION"];
        for (const l of columns(head, rows)) term.out(l);
      }
      return 0;
    }
    case "runs logs": {
      if (!values.follow) {
        await printLog(remote, id, term, json);
        return 0;
      }
      const done = await followRun(remote, id, term, json);
      if (!json) term.err(summary(done));
      return exitStatus(done);
    }
    case "runs cancel": {
      const run = await api<Run>(remote, `/runs/${enc(id)}/${verb}`, { method: "POST" });
      if (json) show(run);
      else term.out(`Run ${run.id} ${run.status}.`);
      return 0;
    }
    case "runs rerun": {
      const run = await api<Run>(remote, `/runs/${enc(id)}/rerun`, { method: "POST" });
      if (values.follow) return follow(remote, run, term, json);
      if (json) show(run);
      else term.out(`Run ${run.id} (a rerun of ${id}) ${run.status}.`);
      return 0;
    }
  }
  return 0;
}

/** `berth jobs ...` and `berth runs ...`: resolves with the exit status. */
export async function jobsCommand(argv: string[], env: ClientEnv, term: Term): Promise<number> {
  const [noun = "", verb = "", ...rest] = argv;
  const name = `${noun} ${verb}`.trim();
  try {
    if (!verb || verb === "--help" || verb === "-h") {
      term.out(help[noun as "jobs" | "runs"]);
      return verb ? 0 : 2;
    }
    const action = noun === "runs" && ["cancel", "pause", "resume"].includes(verb);
    const topic = action ? "runs cancel" : name;
    if (!(topic in OPTIONS)) {
      throw new UsageError(`unknown command "${verb}"\n\n${help[noun as "jobs" | "runs"]}`);
    }
    return await command(topic as Topic, verb, rest, env, term);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const parse = "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS");
    const input =
      err instanceof UsageError ||
      parse ||
      (err instanceof ApiError && [400, 404, 422].includes(err.status));
    term.err(`berth ${name}: ${err.message}${parse ? ` (berth ${name} --help)` : ""}`);
    return input ? 2 : 1;
  }
}
