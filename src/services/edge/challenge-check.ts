import http from "node:http";
import { probeAddress } from "../../adapters/nginx/commands.ts";

const CHECK_MS = 5_000;

function fetchChallenge(listen: string, name: string, token: string) {
  const target = probeAddress(listen);
  return new Promise<{ status: number; body: string; location?: string }>((resolve, reject) => {
    const req = http.get(
      {
        host: target.host,
        port: target.port,
        path: `/.well-known/acme-challenge/${token}`,
        headers: { host: name },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          if (body.length < 4096) body += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }),
        );
      },
    );
    req.setTimeout(2_000, () => req.destroy(new Error("no answer within 2 s")));
    req.on("error", reject);
  });
}

/**
 * Asks our own nginx, on loopback, for a published challenge as the CA will (Host: name)
 * before the CA is told to look: a vhost not loaded yet or an unreadable data directory
 * then fails here, in words, without spending the CA's failed-validation allowance.
 * Retries for a few seconds, since a domain added a moment ago may still be reloading.
 */
export async function checkChallengeServed(
  listen: string,
  name: string,
  token: string,
  keyAuthorization: string,
): Promise<void> {
  const deadline = Date.now() + CHECK_MS;
  let seen = "nothing";
  for (;;) {
    try {
      const r = await fetchChallenge(listen, name, token);
      if (r.status === 200 && r.body.trim() === keyAuthorization) return;
      seen =
        r.status === 200
          ? "a different file"
          : `HTTP ${r.status}${r.location ? ` (to ${r.location})` : ""}`;
    } catch (err) {
      seen = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `nginx on ${listen} answered ${seen} for http://${name}/.well-known/acme-challenge/${token}; it must serve the file Berth wrote there (is the domain's vhost loaded, and can nginx's user read the data directory?).`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
