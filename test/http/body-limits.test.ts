import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyRoutes } from "../../src/http/body-routes.ts";
import { SMALL_BODY_MAX } from "../../src/http/middleware/body-limit.ts";
import { createTestApp, type TestApp } from "../helpers/app.ts";
import { inventory } from "../helpers/routes.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

let t: TestApp;
beforeAll(() => {
  t = createTestApp();
});
afterAll(() => t.close());

const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const concrete = (p: string) => p.replace(/:[a-zA-Z]+/g, "x").replace("/:service", "/site");

describe("every route bounds its body", () => {
  it("answers 413 with Connection: close to a body over its route's limit, before reading it", async () => {
    const big = bodyRoutes(t.deps.limits);
    const routes = inventory(t.app).filter((r) => WITH_BODY.has(r.method));
    expect(routes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const r of routes) {
      const path = concrete(r.path);
      const special = big.find((b) => b.method === r.method && b.path.test(path));
      const max = special?.max ?? SMALL_BODY_MAX;
      // the small limit with real bytes; the big ones by their declared length
      const init: RequestInit = special
        ? { body: "x", headers: { "content-length": String(max + 1) } }
        : { body: new Uint8Array(max + 1) };
      for (const who of ["anonymous", "owner"] as const) {
        const send = who === "owner" ? t.request : t.anon;
        const res = await send(path, { ...init, method: r.method });
        const ok = res.status === 413 && res.headers.get("connection") === "close";
        if (!ok) failures.push(`${r.method} ${path} as ${who}: ${res.status}`);
        if (res.status === 413)
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
            "body_too_large",
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it("counts an undeclared (chunked) body as it arrives", async () => {
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        if (sent > 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await t.anon("/login", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(SMALL_BODY_MAX + 2 * chunk.length);
  });
});

describe("through the real server", () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-body-"));
    server = await startServer(dir);
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a huge unauthenticated sign-in body without taking it in, and stays responsive", async () => {
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: server.port,
          path: "/login",
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", (err) => (written > SMALL_BODY_MAX ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        // up to 400 MB, unless the server answers (or closes) first
        while (written < 400 * 1024 * 1024 && !req.destroyed) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(written).toBeLessThan(400 * 1024 * 1024);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
