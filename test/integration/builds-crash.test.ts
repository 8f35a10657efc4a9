import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { queueBuild } from "../../src/services/builds/queue.ts";
import { configureSource } from "../../src/services/builds/source.ts";
import { createDeps } from "../../src/services/core/deps.ts";
import { createLayout } from "../../src/services/core/layout.ts";
import { createSecrets } from "../../src/services/core/secrets.ts";
import { createService } from "../../src/services/releases/catalog.ts";
import { testLimits } from "../helpers/app.ts";
import { createBareRepo } from "../helpers/bare-repo.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-crash-"));
const dataDir = path.join(root, "data");
const secretKey = "11".repeat(32);
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.kill9();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Writes a service, its git source and two queued builds into the data dir, as the API would. */
async function seed(repoUrl: string): Promise<[string, string]> {
  const layout = createLayout(dataDir);
  const db = openDb(layout.dbFile);
  try {
    const secrets = createSecrets(Buffer.from(secretKey, "hex"));
    const deps = createDeps({
      db,
      layout,
      limits: testLimits,
      defaultRetention: 10,
      logger: createLogger("silent"),
      secrets,
    });
    const { service } = await createService(deps, { name: "app" });
    configureSource(deps, service, {
      repoUrl,
      // the build of branch "slow" blocks until Berth is killed under it
      commands: [
        "if [ -e slow ]; then sleep 3009; fi; mkdir -p dist; echo built > dist/index.html",
      ],
      outputDir: "dist",
      branches: { main: "production", slow: "production" },
    });
    const slow = queueBuild(deps, service, { trigger: "manual", triggeredBy: "test", ref: "slow" });
    const quick = queueBuild(deps, service, {
      trigger: "manual",
      triggeredBy: "test",
      ref: "main",
    });
    return [slow.id, quick.id];
  } finally {
    db.$client.close();
  }
}

/** The host pid of a process whose command line is exactly `cmdline` (NUL-separated). */
function processWith(cmdline: string): number | undefined {
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, "utf8") === cmdline) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Running, and not a zombie (orphans here are reparented to a PID 1 that does not reap). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

const buildOf = async (s: RunningServer, id: string) => {
  const b = s.api(`/builds/${id}`);
  return (await (await b).json()) as { status: string };
};

describe("kill -9 of the server in the middle of a build", () => {
  it("marks the running build interrupted at the next start and still runs the queued one", async () => {
    const repo = createBareRepo(path.join(root, "git"), { README: "main" });
    repo.commit({ slow: "yes" }, "slow", "slow");
    fs.mkdirSync(dataDir, { recursive: true });
    const [slow, quick] = await seed(repo.url);

    server = await startServer(dataDir, { BERTH_SECRET_KEY: secretKey });
    const deadline = Date.now() + 20_000;
    // the command runs sandboxed (its own PID namespace): it is found from outside
    let found: number | undefined;
    while (found === undefined) {
      if (Date.now() > deadline)
        throw new Error(`the slow build never started:\n${server.output()}`);
      found = processWith("sleep\u00003009\u0000");
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(alive(found)).toBe(true);
    await server.kill9();
    // bwrap --die-with-parent: the sandbox dies with the server, nothing waits for a restart
    const sandboxed = found;
    const gone = Date.now() + 5_000;
    while (alive(sandboxed) && Date.now() < gone) await new Promise((r) => setTimeout(r, 25));
    try {
      expect(alive(sandboxed)).toBe(false);
    } finally {
      // whatever happened above, nothing of this test outlives it
      if (alive(sandboxed)) process.kill(sandboxed, "SIGKILL");
    }
    server = await startServer(dataDir, { BERTH_SECRET_KEY: secretKey });
    expect((await buildOf(server, slow)).status).toBe("interrupted");
    const until = Date.now() + 30_000;
    let status = "";
    while (Date.now() < until) {
      status = (await buildOf(server, quick)).status;
      if (!["queued", "running"].includes(status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe("succeeded");
    for (
      let i = 0;
      (await fetchSite(server, "production--app.localhost")).body !== "built\n";
      i++
    ) {
      if (i > 200) throw new Error("the queued build's release was never served");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fs.existsSync(createLayout(dataDir).build(slow))).toBe(false);
  }, 90_000);
});
