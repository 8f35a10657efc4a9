import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { CheckResult, Monitor } from "../../domain/monitoring/monitoring.ts";

/** Where requests to Berth's own sites go (its listener or nginx), with the site's Host. */
export type SiteAddress = { host: string; port: number };

const BODY_MAX = 64 * 1024;
const EXCERPT = 200;
const DAY = 86_400_000;

// keep-alive: thousands of monitors of a few hosts reuse their sockets
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 }),
};

export type CheckTarget = Pick<
  Monitor,
  | "kind"
  | "url"
  | "method"
  | "headers"
  | "body"
  | "host"
  | "port"
  | "expectedStatus"
  | "keyword"
  | "keywordAbsent"
  | "timeoutMs"
  | "auto"
>;

/** Runs one active check (http, test, tcp). Never throws: a failure is a result. */
export function runCheck(m: CheckTarget, site: SiteAddress | null): Promise<CheckResult> {
  if (m.kind === "tcp") return tcpCheck(m.host ?? "", m.port ?? 0, m.timeoutMs);
  return httpCheck(m, m.auto ? site : null);
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean, message: string) => {
      socket.destroy();
      resolve({ ok, latencyMs: Math.round(performance.now() - started), code: null, message });
    };
    socket.setTimeout(timeoutMs, () => done(false, `no connection within ${timeoutMs} ms`));
    socket.once("connect", () => done(true, ""));
    socket.once("error", (err) => done(false, err.message));
  });
}

function httpCheck(m: CheckTarget, site: SiteAddress | null): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(m.url ?? "");
    } catch {
      resolve({ ok: false, latencyMs: 0, code: null, message: "the URL is not valid" });
      return;
    }
    const secure = url.protocol === "https:";
    const lib = secure ? https : http;
    const headers: Record<string, string> = { "user-agent": "Berth-Monitor/1", ...m.headers };
    if (site) headers.host = url.host;
    let settled = false;
    const finish = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = lib.request(
      {
        protocol: url.protocol,
        hostname: site ? site.host : url.hostname.replace(/^\[|\]$/g, ""),
        port: site ? site.port : url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: m.method,
        headers,
        agent: secure ? agents.https : agents.http,
        servername: secure ? url.hostname : undefined,
      },
      (res) => {
        let certDaysLeft: number | undefined;
        if (secure) {
          const cert = (res.socket as TLSSocket).getPeerCertificate?.();
          if (cert?.valid_to)
            certDaysLeft = Math.floor((Date.parse(cert.valid_to) - Date.now()) / DAY);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < BODY_MAX) chunks.push(c);
          size += c.length;
        });
        res.on("error", (err) =>
          finish({ ok: false, latencyMs: elapsed(), code: null, message: err.message }),
        );
        res.on("end", () => {
          const code = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).subarray(0, BODY_MAX).toString("utf8");
          finish({ ...judge(m, code, body), latencyMs: elapsed(), code, certDaysLeft });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({
        ok: false,
        latencyMs: elapsed(),
        code: null,
        message: `no answer within ${m.timeoutMs} ms`,
      });
    }, m.timeoutMs);
    req.on("error", (err) =>
      finish({ ok: false, latencyMs: elapsed(), code: null, message: err.message }),
    );
    req.end(m.body ?? undefined);
  });
}

function judge(m: CheckTarget, code: number, body: string): { ok: boolean; message: string } {
  const excerpt = body.slice(0, EXCERPT).replace(/\s+/g, " ").trim();
  if (m.kind === "test") {
    // a test route passes with any 2xx; its answer is kept to show what it said
    const ok = code >= 200 && code < 300;
    return {
      ok,
      message: `${ok ? "passed" : `failed with ${code}`}: ${excerpt}`.slice(0, EXCERPT + 20),
    };
  }
  if (code !== m.expectedStatus)
    return { ok: false, message: `answered ${code}, expected ${m.expectedStatus}` };
  if (m.keyword) {
    const found = body.includes(m.keyword);
    if (m.keywordAbsent && found) return { ok: false, message: `"${m.keyword}" is in the answer` };
    if (!m.keywordAbsent && !found)
      return { ok: false, message: `"${m.keyword}" is not in the answer` };
  }
  return { ok: true, message: "" };
}
