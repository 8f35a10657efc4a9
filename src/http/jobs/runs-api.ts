import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { Context } from "hono";
import { stream as honoStream } from "hono/streaming";
import type { Principal } from "../../domain/auth/permissions.ts";
import { notFound } from "../../domain/errors.ts";
import { findRuns, type RunQuery } from "../../services/jobs/find.ts";
import { outputFile, readSlice } from "../../services/jobs/output-log.ts";
import { cancelRun, getRun, pauseRun, rerun, resumeRun, runDir } from "../../services/jobs/runs.ts";
import type { Api, Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { streamRunLog } from "./log-sse.ts";
import { presentRun } from "./present.ts";

const SLICE_DEFAULT = 256 * 1024;
const SLICE_MAX = 1024 * 1024;

export function runQuery(c: Context<Env>): RunQuery {
  const q = c.req.query();
  const limit = Number(q.limit);
  return { ...q, limit: Number.isInteger(limit) ? limit : undefined };
}

/** A slice of a run's output by byte offset (negative: from the end), never the whole log. */
export function logSlice(c: Context<Env>, h: HttpDeps, id: string) {
  const run = getRun(h.deps, id);
  const offset = Number(c.req.query("offset") ?? -SLICE_DEFAULT);
  const length = Math.min(SLICE_MAX, Math.max(1, Number(c.req.query("length") ?? SLICE_DEFAULT)));
  const live = h.deps.jobs.live.get(id);
  const off = Number.isFinite(offset) ? offset : -SLICE_DEFAULT;
  const slice =
    live && off < 0
      ? { chunks: live.log.recent(length), size: live.log.total }
      : readSlice(runDir(h.deps, id), off, Number.isFinite(length) ? length : SLICE_DEFAULT);
  return { run, ...slice };
}

/** Runs: `/api/v1/runs`, their output, and cancel, pause, resume, rerun. */
export function runsApi(app: Api, h: HttpDeps): void {
  const { deps } = h;

  app.get("/runs", guard("jobs.read"), (c) =>
    c.json({ items: findRuns(deps, runQuery(c)).map((r) => presentRun(deps, r)) }),
  );
  app.get("/runs/:id", guard("jobs.read"), (c) =>
    c.json(presentRun(deps, getRun(deps, c.req.param("id")))),
  );
  app.get("/runs/:id/log", guard("jobs.read"), (c) => {
    const id = c.req.param("id");
    if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
      getRun(deps, id);
      return streamRunLog(c, deps, id);
    }
    const { run, chunks, size } = logSlice(c, h, id);
    return c.json({ status: run.status, size, chunks });
  });
  app.get("/runs/:id/output", guard("jobs.read"), (c) => {
    const run = getRun(deps, c.req.param("id"));
    const file = outputFile(runDir(deps, run.id));
    if (!fs.existsSync(file)) throw notFound("no_output", "This run has no stored output yet.");
    c.header("Content-Type", "text/plain; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="run-${run.id}.log"`);
    c.header("Content-Length", String(fs.statSync(file).size));
    return honoStream(c, async (s) => {
      for await (const chunk of Readable.from(fs.createReadStream(file))) await s.write(chunk);
    });
  });
  app.get("/runs/:id/files/:param", guard("jobs.read"), (c) => {
    const run = getRun(deps, c.req.param("id"));
    const f = run.files.find((x) => x.param === c.req.param("param"));
    if (!f) throw notFound("file_not_found", "This run has no such file.");
    const file = path.join(runDir(deps, run.id), "files", f.param, f.name);
    c.header("Content-Type", "application/octet-stream");
    c.header("Content-Disposition", `attachment; filename="${f.name}"`);
    return c.body(fs.readFileSync(file));
  });

  const by = (c: Context<Env>) => (c.get("principal") as Principal).label;
  app.post("/runs/:id/cancel", guard("jobs.run"), (c) =>
    c.json(presentRun(deps, cancelRun(deps, c.req.param("id"), by(c))), 202),
  );
  app.post("/runs/:id/pause", guard("jobs.run"), (c) =>
    c.json(presentRun(deps, pauseRun(deps, c.req.param("id"))), 202),
  );
  app.post("/runs/:id/resume", guard("jobs.run"), (c) =>
    c.json(presentRun(deps, resumeRun(deps, c.req.param("id"))), 202),
  );
  app.post("/runs/:id/rerun", guard("jobs.run"), (c) => {
    const run = rerun(deps, c.req.param("id"), by(c));
    c.header("Location", `/api/v1/runs/${run.id}`);
    return c.json(presentRun(deps, run), 202);
  });
}
