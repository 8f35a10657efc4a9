import fs from "node:fs";
import net from "node:net";
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
    const big = bodyRoutes(t.deps.limits, 20 * 1024 * 1024);
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
            special?.error?.code ?? "body_too_large",
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
    // a raw socket: keep writing a chunked body while reading whatever the server answers
    const socket = net.connect(server.port, "127.0.0.1");
    let answer = "";
    let written = 0;
    const LIMIT = 400 * 1024 * 1024;
    const done = new Promise<void>((resolve) => {
      socket.on("data", (d) => {
        answer += d.toString("latin1");
      });
      socket.on("error", () => undefined); // EPIPE/ECONNRESET once the server hangs up
      socket.on("close", () => resolve());
    });
    socket.write(
      "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = Buffer.concat([
      Buffer.from("10000\r\n"),
      Buffer.alloc(0x10000, 0x61),
      Buffer.from("\r\n"),
    ]);
    while (written < LIMIT && !socket.destroyed && !answer.startsWith("HTTP/1.1 413")) {
      written += 0x10000;
      if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r).once("close", r));
    }
    socket.end();
    await done;
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(written).toBeLessThan(LIMIT);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
