import fs from "node:fs";
import type { Readable } from "node:stream";
import type { Remote } from "./config.ts";
import { api, events, upload } from "./http.ts";
import { progress, size, type Term } from "./output.ts";
import { listFiles, packStream } from "./pack.ts";

export type Deployment = {
  id: string;
  service: string;
  environment: string;
  status: string;
  message: string | null;
  previewUrl: string;
  onDisk: boolean;
  createdAt: string;
  failure: { stage: string; code: string | null; message: string | null } | null;
};
type LogLine = { at: string; step: string; level: string; message: string };

const TYPES: [RegExp, string][] = [
  [/\.zip$/i, "application/zip"],
  [/\.(tar\.gz|tgz)$/i, "application/gzip"],
];

/** The bundle to send: a folder packed as it streams, or a .zip / .tar.gz as it is. */
function bundle(term: Term, target: string): { body: Readable; type: string; bytes?: number } {
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (!st) throw new Error(`${target} does not exist.`);
  if (st.isDirectory()) {
    const files = listFiles(target);
    if (!files.length) throw new Error(`${target} has no files to deploy (see .berthignore).`);
    const total = files.reduce((n, f) => n + f.size, 0);
    if (!files.some((f) => f.rel === "index.html")) {
      term.err(`warning: ${target} has no index.html at its top: / of the site will answer 404.`);
    }
    const bar = progress(term, total, `Packing ${files.length} files`);
    const body = packStream(files, (packed) => bar.update(packed));
    body.on("end", () => bar.done());
    return { body, type: "application/gzip" };
  }
  const type = TYPES.find(([re]) => re.test(target))?.[1];
  if (!type) throw new Error(`${target}: deploy a folder, a .zip or a .tar.gz.`);
  const bar = progress(term, st.size, "Uploading");
  const body = fs.createReadStream(target);
  let sent = 0;
  body.on("data", (chunk) => {
    sent += chunk.length;
    bar.update(sent);
  });
  body.on("end", () => bar.done());
  return { body, type, bytes: st.size };
}

/** Follows a deployment's release log until it ends; returns its final status. */
export async function followLog(
  remote: Remote,
  id: string,
  onLine: (line: LogLine) => void,
): Promise<string> {
  let status = "";
  await events(remote, `/deployments/${id}/log`, (event, data) => {
    if (event === "line") onLine(JSON.parse(data) as LogLine);
    if (event === "end") status = (JSON.parse(data) as { status: string }).status;
  });
  if (!status) status = (await api<Deployment>(remote, `/deployments/${id}`)).status;
  return status;
}

export const formatLine = (l: LogLine) =>
  `${l.at.slice(11, 19)} ${l.step.padEnd(9)} ${l.level === "info" ? "" : `${l.level}: `}${l.message}`;

/** Uploads, streams the release log, prints where the site is; 0 when it went live. */
export async function deploy(
  remote: Remote,
  term: Term,
  target: string,
  opts: {
    service: string;
    env: string;
    message?: string;
    commit?: string;
    stripFolder?: boolean;
    json?: boolean;
  },
): Promise<number> {
  const { body, type, bytes } = bundle(term, target);
  const query = new URLSearchParams();
  if (opts.message) query.set("message", opts.message);
  if (opts.commit) query.set("commit", opts.commit);
  if (opts.stripFolder) query.set("stripFolder", "true");
  const path = `/services/${encodeURIComponent(opts.service)}/environments/${encodeURIComponent(opts.env)}/deployments${query.size ? `?${query}` : ""}`;
  const started = await upload<Deployment>(remote, path, body, type, bytes);
  term.err(`Deployment ${started.id} accepted${bytes ? ` (${size(bytes)})` : ""}.`);
  const status = await followLog(remote, started.id, (l) =>
    (opts.json ? term.err : term.out)(formatLine(l)),
  );
  const d = await api<Deployment>(remote, `/deployments/${started.id}`);
  const env = await api<{ url: string }>(
    remote,
    `/services/${encodeURIComponent(opts.service)}/environments/${encodeURIComponent(opts.env)}`,
  );
  if (opts.json) term.out(JSON.stringify({ ...d, url: env.url }, null, 2));
  if (status === "live") {
    if (!opts.json) {
      term.out(`Live: ${env.url}`);
      term.out(`Preview: ${d.previewUrl}`);
    }
    return 0;
  }
  term.err(
    `Deployment ${d.id} ${d.status}${d.failure ? ` at ${d.failure.stage}: ${d.failure.message}` : "."}`,
  );
  return 1;
}
