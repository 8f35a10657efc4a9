import type { Remote } from "./config.ts";
import { api, events } from "./http.ts";
import type { Term } from "./output.ts";

/** A run as the API presents it (the fields the client reads). */
export type Run = {
  id: string;
  job: string | null;
  status: string;
  terminal: boolean;
  trigger: string;
  triggeredBy: string | null;
  exitCode: number | null;
  durationMs: number | null;
  scheduledFor: string | null;
  createdAt: string;
  startedAt: string | null;
  message: string | null;
};
export type Chunk = {
  offset: number;
  stream: "stdout" | "stderr" | "berth";
  at: number;
  text: string;
};

const enc = encodeURIComponent;
const PAGE = 1024 * 1024;

/**
 * Output as lines: the script's stdout to stdout, its stderr and Berth's own lines to
 * stderr; a line split across chunks is printed once whole.
 */
function lineWriter(term: Term) {
  const partial = new Map<string, string>();
  const emit = (stream: string, line: string) =>
    stream === "stdout" ? term.out(line) : term.err(line);
  return {
    write(c: Chunk) {
      const lines = ((partial.get(c.stream) ?? "") + c.text).split("\n");
      partial.set(c.stream, lines.pop() ?? "");
      for (const l of lines) emit(c.stream, l);
    },
    flush() {
      for (const [stream, rest] of partial) if (rest) emit(stream, rest);
      partial.clear();
    },
  };
}

/** The exit status a run maps to: 0 when it succeeded, else its exit code, or 1 without one. */
export function exitStatus(run: Run): number {
  if (run.status === "succeeded") return 0;
  const code = run.exitCode ?? 0;
  return code > 0 && code < 256 ? code : 1;
}

export function duration(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

/** One line saying how a run ended. */
export function summary(run: Run): string {
  const code = run.exitCode === null ? "" : ` with exit code ${run.exitCode}`;
  const took = run.durationMs === null ? "" : ` in ${duration(run.durationMs)}`;
  // "Exited with code N." says nothing more than the code
  const why = run.message && !(run.status === "failed" && run.exitCode !== null);
  return `Run ${run.id} ${run.status}${code}${took}${why ? `: ${run.message}` : ""}`;
}

/**
 * Streams a run's output (the newest 64 KiB first, then live) until it ends, reconnecting
 * from the last byte seen if the connection drops; resolves with the finished run. With
 * `json`, each event is a JSON line.
 */
export async function followRun(remote: Remote, id: string, term: Term, json: boolean) {
  const out = lineWriter(term);
  let after: number | null = null;
  let ended = false;
  for (;;) {
    const query = after === null ? "" : `?after=${after}`;
    await events(remote, `/runs/${enc(id)}/log${query}`, (event, data) => {
      const d = JSON.parse(data) as Record<string, unknown>;
      if (json) term.out(JSON.stringify({ event, ...d }));
      if (event === "output") {
        const c = d as Chunk;
        after = c.offset + Buffer.byteLength(c.text);
        if (!json) out.write(c);
      } else if (event === "end") ended = true;
      else if (event === "skipped" && !json) {
        term.err(`(${d.events} chunks skipped on a slow connection: berth runs logs ${id})`);
      } else if (event === "status" && !json) {
        const s = d.status as string;
        if (s === "running" || s === "paused" || s === "queued") term.err(`Run ${id} ${s}`);
      }
    });
    const run = await api<Run>(remote, `/runs/${enc(id)}`);
    if (ended || run.terminal) {
      out.flush();
      return run;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Prints a run's whole stored output, read in 1 MiB slices; resolves with its status. */
export async function printLog(remote: Remote, id: string, term: Term, json: boolean) {
  const out = lineWriter(term);
  const all: Chunk[] = [];
  let offset = 0;
  for (;;) {
    const page = await api<{ status: string; size: number; chunks: Chunk[] }>(
      remote,
      `/runs/${enc(id)}/log?offset=${offset}&length=${PAGE}`,
    );
    for (const c of page.chunks) {
      if (json) all.push(c);
      else out.write(c);
    }
    const last = page.chunks.at(-1);
    const next = last ? last.offset + Buffer.byteLength(last.text) : offset;
    if (next <= offset || next >= page.size) {
      out.flush();
      if (json) term.out(JSON.stringify({ status: page.status, chunks: all }, null, 2));
      return page.status;
    }
    offset = next;
  }
}
