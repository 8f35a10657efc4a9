import http from "node:http";
import { probeAddress } from "./commands.ts";

export const GENERATION_HEADER = "x-berth-generation";

/** GET / on `listen` with `Host: host`; the generation header nginx answered with, or null. */
export function probeGeneration(listen: string, host: string): Promise<string | null> {
  const target = probeAddress(listen);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.host, port: target.port, path: "/", method: "HEAD", headers: { host } },
      (res) => {
        res.resume();
        const value = res.headers[GENERATION_HEADER];
        resolve(typeof value === "string" ? value : null);
      },
    );
    req.setTimeout(2_000, () => req.destroy(new Error("no answer within 2 s")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Waits until nginx answers `host` with a generation `accept` likes (a reload is
 * asynchronous: old workers finish their requests first). Rejects with what it saw last.
 */
export async function waitForGeneration(
  listen: string,
  host: string,
  accept: (generation: string | null) => boolean,
  expectation: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = "no answer";
  for (;;) {
    try {
      const value = await probeGeneration(listen, host);
      if (accept(value)) return;
      seen = value === null ? "no generation header" : `generation ${value}`;
    } catch (err) {
      seen = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `nginx did not switch to the new configuration: ${host} on ${listen} answered with ${seen}, expected ${expectation}.`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
