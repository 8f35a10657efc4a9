import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createBareRepo } from "../helpers/bare-repo.ts";
import { fetchSite, type RunningServer, startServer } from "../helpers/server.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "berth-build-sandbox-"));
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type Build = { id: string; status: string; failure: { message: string } | null };

/** A server with a service whose git source builds `build.sh`; answers its first build. */
async function buildOnce(name: string, env: Record<string, string> = {}) {
  const dataDir = path.join(root, name, "data");
  const repo = createBareRepo(path.join(root, name, "git"), {
    // what the command sees: its user, where it runs, whether Berth's data directory exists
    "build.sh": `mkdir -p dist
if [ -e ${dataDir}/berth.db ]; then data=seen; else data=absent; fi
echo "<p>$(id -u) $(pwd) data:$data</p>" > dist/index.html\n`,
  });
  server = await startServer(dataDir, env);
  const s = server;
  const send = (p: string, method: string, body: unknown) =>
    s.api(p, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  expect((await send("/services", "POST", { name: "site" })).status).toBe(201);
  const source = await send("/services/site/source", "PUT", {
    repoUrl: repo.url,
    commands: ["sh build.sh"],
    outputDir: "dist",
    branches: { main: "production" },
  });
  expect(source.status, await source.clone().text()).toBe(200);
  const queued = (await (
    await send("/services/site/builds", "POST", { ref: "main" })
  ).json()) as Build;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const b = (await (await s.api(`/builds/${queued.id}`)).json()) as Build;
    if (!["queued", "running"].includes(b.status)) {
      const log = (await (await s.api(`/builds/${queued.id}/log`)).json()) as {
        lines: { message: string }[];
      };
      return { build: b, log: log.lines.map((l) => l.message).join("\n"), server: s };
    }
    if (Date.now() > deadline) throw new Error(`build still ${b.status}:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function served(s: RunningServer) {
  for (let i = 0; ; i++) {
    const page = await fetchSite(s, "production--site.localhost");
    if (page.status === 200 || i > 200) return page.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("builds in the sandbox, through a real server", () => {
  it("runs the build command as nobody in /work, without Berth's data, and deploys it", async () => {
    const { build, log, server: s } = await buildOnce("on");
    expect(build.status, log).toBe("succeeded");
    expect(await served(s)).toBe("<p>65534 /work/src data:absent</p>\n");
    expect(log).not.toContain("BERTH_SANDBOX=off");
  });

  it("refuses to build without a usable bubblewrap, saying how to fix it in the log and the API", async () => {
    const { build, log } = await buildOnce("missing", {
      BERTH_SANDBOX_BWRAP: "/nonexistent/bwrap",
    });
    expect(build.status).toBe("failed");
    expect(build.failure?.message).toMatch(/not usable: \/nonexistent\/bwrap is missing/);
    expect(build.failure?.message).toContain("apt-get install bubblewrap");
    expect(log).toContain("BERTH_SANDBOX=off runs commands without the sandbox");
    expect(log).not.toContain("$ [1/1]");
  });

  it("BERTH_SANDBOX=off builds unsandboxed, with a warning in the log", async () => {
    const { build, log, server: s } = await buildOnce("off", { BERTH_SANDBOX: "off" });
    expect(build.status, log).toBe("succeeded");
    expect(log).toContain("BERTH_SANDBOX=off: this command runs without the sandbox");
    expect(await served(s)).toMatch(/data:seen/);
  });
});
