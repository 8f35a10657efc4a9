import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { axios as acmeAxios } from "acme-client";

/** How long one request to the ACME server may take before it counts as failed. */
const REQUEST_TIMEOUT_MS = 30_000;

const agents = new Map<string, https.Agent & { berthCa?: string }>();
let installed = false;

/**
 * Makes requests to one ACME server (by origin) trust an extra CA besides the system
 * roots: Pebble's listener certificate, or a private CA's. It is set on acme-client's
 * own axios instance and only for that origin, so neither Node's global agent nor any
 * other HTTPS client (nor acme-client's self-check of a challenge URL) trusts it.
 */
export function trustForAcmeServer(directoryUrl: string, extraCaPem: string | null): void {
  const origin = new URL(directoryUrl).origin;
  const current = agents.get(origin);
  if (current?.berthCa !== extraCaPem) {
    current?.destroy();
    if (extraCaPem === null) agents.delete(origin);
    else {
      const ca = [...tls.rootCertificates, extraCaPem];
      agents.set(
        origin,
        Object.assign(new https.Agent({ ca, keepAlive: true }), { berthCa: extraCaPem }),
      );
    }
  }
  if (installed) return;
  installed = true;
  acmeAxios.interceptors.request.use((config) => {
    let origin: string | null = null;
    try {
      origin = config.url ? new URL(config.url).origin : null;
    } catch {
      origin = null;
    }
    const agent = origin ? agents.get(origin) : undefined;
    if (agent) config.httpsAgent = agent;
    // without a timeout a silent server would hold the certificate scheduler forever
    if (!config.timeout) config.timeout = REQUEST_TIMEOUT_MS;
    return config;
  });
}

/**
 * One plain GET of the directory, trusting what acme-client's requests trust, to learn
 * why the server could not be reached: acme-client's retry layer replaces the network
 * error with a TypeError once its retries run out.
 */
export function probeAcmeServer(
  directoryUrl: string,
): Promise<{ code: string } | { status: number }> {
  const url = new URL(directoryUrl);
  const mod = url.protocol === "http:" ? http : https;
  const agent = url.protocol === "https:" ? agents.get(url.origin) : undefined;
  return new Promise((resolve) => {
    const req = mod.get(url, { agent: agent ?? false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })),
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ code: err.code ?? err.message }));
  });
}
