import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLayout } from "../../src/services/core/layout.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-abort-"));
  server = await startServer(dir);
  expect(
    (
      await server.api("/services", {
        method: "POST",
        body: JSON.stringify({ name: "site" }),
        headers: { "content-type": "application/json" },
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fds = () => fs.readdirSync(`/proc/${server.pid}/fd`).length;
const uploads = () => {
  const d = createLayout(dir).uploadsDir;
  return fs.existsSync(d) ? fs.readdirSync(d) : [];
};

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe("an upload cut off mid-body", () => {
  it("leaves no temp file and no open descriptor behind", async () => {
    const before = fds();
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(server.port, "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      const boundary = "xxBOUNDARYxx";
      socket.write(
        `POST /api/v1/services/site/environments/production/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="bundle"; filename="b.zip"\r\nContent-Type: application/zip\r\n\r\nPK\u0003\u0004`,
      );
      for (let k = 0; k < 32; k++) socket.write(Buffer.alloc(64 * 1024, 1));
      expect(await until(() => uploads().length > 0)).toBe(true);
      socket.destroy();
    }
    expect(await until(() => uploads().length === 0)).toBe(true);
    expect(await until(() => fds() <= before)).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
