import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

// The deploy command against a real server process: login, deploy a folder (packed as it
// streams, .berthignore applied), a failed deployment's exit code, rollback, lists, logs.

const bin = path.resolve(import.meta.dirname, "../../bin/berth.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-remote-"));
const home = path.join(dir, "config");
let server: RunningServer;

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, "data"));
  server = await startServer(path.join(dir, "data"));
  const res = await server.api("/services", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "site" }),
  });
  expect(res.status).toBe(201);
}, 30_000);
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs berth asynchronously (the server is in this process's event loop's reach). */
function berth(args: string[], env: Record<string, string> = {}, input = "") {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, XDG_CONFIG_HOME: home, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdin.end(input);
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

function folder(name: string, files: Record<string, string>): string {
  const root = path.join(dir, name);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

describe("berth deploy and friends against a running server", () => {
  it("logs in, storing the URL and key readable by the owner only", async () => {
    const bad = await berth(["login", server.url, "--token", "berth_wrong"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("sign in again");
    const login = await berth(["login", server.url], {}, `${server.key}\n`);
    expect(login.stderr).toBe("");
    expect(login.status).toBe(0);
    expect(login.stdout).toContain("Signed in to");
    const file = path.join(home, "berth", "config.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({
      url: server.url,
      token: server.key,
    });
  });

  it("deploys a folder with .berthignore, streams the log, prints the URLs", async () => {
    const site = folder("site-v1", {
      "index.html": "<h1>v1</h1>",
      "css/app.css": "body{}",
      "secret.env": "TOKEN=1",
      "js/app.js.map": "{}",
      ".berthignore": "# not for the web\n*.env\n*.map\n",
    });
    const r = await berth(["deploy", site, "--service", "site", "--message", "first"]);
    expect(r.stderr).toContain("Packing 2 files: 100%");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/activate\s+Live in/);
    expect(r.stdout).toMatch(/^Live: http:\/\/production--site\.localhost/m);
    expect(r.stdout).toMatch(/^Preview: http:\/\/\w+--site\.localhost/m);
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("<h1>v1</h1>");
    expect((await fetchSite(server, "production--site.localhost", "/secret.env")).status).toBe(404);
    expect((await fetchSite(server, "production--site.localhost", "/css/app.css")).status).toBe(
      200,
    );
  });

  it("exits 1 when the deployment fails, and 0 once it is fixed (--strip-folder, --json)", async () => {
    const nested = folder("nested", { "dist/index.html": "<h1>v2</h1>" });
    const failed = await berth(["deploy", nested, "--service", "site"]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/failed at extract: The bundle holds one folder, dist\//);
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("<h1>v1</h1>");
    const fixed = await berth(["deploy", nested, "--service", "site", "--strip-folder", "--json"]);
    expect(fixed.status).toBe(0);
    const d = JSON.parse(fixed.stdout) as { status: string; stripFolder: boolean; url: string };
    expect(d).toMatchObject({ status: "live", stripFolder: true });
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("<h1>v2</h1>");
  });

  it("lists, shows logs, reports status, rolls back", async () => {
    const list = await berth(["deployments", "--service", "site"]);
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+ENV\s+STATUS\s+CREATED \(UTC\)\s+MESSAGE$/);
    expect(lines).toHaveLength(4);
    const json = JSON.parse((await berth(["deployments", "-s", "site", "--json"])).stdout) as {
      id: string;
      status: string;
    }[];
    const first = json.at(-1) as { id: string };
    const logs = await berth(["logs", first.id]);
    expect(logs.stdout).toContain("Received tar.gz bundle");
    expect((await berth(["logs", first.id, "--follow"])).status).toBe(0);
    const status = await berth(["status"]);
    expect(status.stdout).toMatch(/site\s+production\s+\w{26}/);
    const back = await berth([
      "rollback",
      "--service",
      "site",
      "--env",
      "production",
      "--to",
      first.id,
    ]);
    expect(back.status).toBe(0);
    expect((await fetchSite(server, "production--site.localhost")).body).toBe("<h1>v1</h1>");
    // BERTH_URL and BERTH_TOKEN win over the stored login
    const other = await berth(["status"], { BERTH_TOKEN: "berth_nope" });
    expect(other.status).toBe(1);
    expect((await berth(["rollback", "--service", "site"])).status).toBe(2);
    expect((await berth(["deploy", "--help"])).stdout).toContain("--strip-folder");
    expect((await berth(["--version"])).stdout).toMatch(/^berth \d+\.\d+\.\d+/);
  });
});
