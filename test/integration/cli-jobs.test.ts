import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../helpers/server.ts";

// berth jobs / berth runs against a real server process running the script in its sandbox:
// live output and the script's exit code, a file argument, lists, logs, a delayed run
// cancelled, and bad input exiting 2.

const bin = path.resolve(import.meta.dirname, "../../bin/berth.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cli-jobs-"));
let server: RunningServer;

const post = (p: string, body: unknown) =>
  server.api(p, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, "data"));
  server = await startServer(path.join(dir, "data"));
  const template = await post("/templates", {
    name: "greet",
    interpreter: "sh",
    body: 'echo "hello $BERTH_ARG_WHO"\n[ -n "$BERTH_ARG_DATA" ] && cat "$BERTH_ARG_DATA"\necho warn >&2\nexit "$BERTH_ARG_CODE"\n',
    params: [
      { name: "who", type: "string", required: true },
      { name: "code", type: "number", required: false, default: 0 },
      { name: "data", type: "file", required: false },
    ],
  });
  expect(template.status).toBe(201);
  expect((await post("/jobs", { name: "greet", template: "greet", category: "demo" })).status).toBe(
    201,
  );
}, 30_000);
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs berth with the server's URL and key in the environment (no stored login). */
function berth(args: string[]) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        BERTH_URL: server.url,
        BERTH_TOKEN: server.key,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

describe("berth jobs and berth runs against a running server", () => {
  let failedId = "";

  it("runs a job with an argument and a file, following its output to exit 0", async () => {
    const data = path.join(dir, "data.txt");
    fs.writeFileSync(data, "from the file\n");
    const r = await berth([
      "jobs",
      "run",
      "greet",
      "--arg",
      "who=world",
      "--file",
      `data=${data}`,
      "--follow",
    ]);
    expect(r.stderr).toContain("warn");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hello world\nfrom the file\n");
    expect(r.stderr).toMatch(/Run \w+ succeeded with exit code 0/);
    const runs = (await (await server.api("/runs?job=greet")).json()) as {
      items: { trigger: string; files: { name: string }[] }[];
    };
    expect(runs.items[0]).toMatchObject({ trigger: "cli", files: [{ name: "data.txt" }] });
  });

  it("exits with the script's exit code when it fails; runs list and logs find it", async () => {
    const r = await berth(["jobs", "run", "greet", "-a", "who=you", "-a", "code=3", "--follow"]);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("hello you\n");
    const id = /Run (\w+) failed with exit code 3/.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    failedId = id as string;

    const list = await berth(["runs", "list", "--status", "failed"]);
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^RUN\s+JOB\s+STATUS\s+EXIT\s+BY/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(new RegExp(`^${failedId}\\s+greet\\s+failed\\s+3\\s+cli`));
    const all = JSON.parse((await berth(["runs", "list", "--job", "greet", "--json"])).stdout);
    expect(all).toHaveLength(2);

    const logs = await berth(["runs", "logs", failedId]);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toBe("hello you\n");
    expect(logs.stderr).toContain("warn");
    const followed = await berth(["runs", "logs", failedId, "--follow"]);
    expect(followed.status).toBe(3);
    expect(followed.stdout).toBe("hello you\n");

    const jobs = await berth(["jobs", "list"]);
    expect(jobs.stdout).toMatch(/^greet\s+demo\s+greet\s+failed$/m);
  });

  it("delays a run, then cancels it; reruns the failed one", async () => {
    const later = await berth([
      "jobs",
      "run",
      "greet",
      "--arg",
      "who=later",
      "--in",
      "10m",
      "--json",
    ]);
    expect(later.status).toBe(0);
    const run = JSON.parse(later.stdout) as { id: string; status: string };
    expect(run.status).toBe("scheduled");
    const cancel = await berth(["runs", "cancel", run.id]);
    expect(cancel.status).toBe(0);
    expect(cancel.stdout).toBe(`Run ${run.id} cancelled.\n`);
    const again = await berth(["runs", "rerun", failedId, "--follow"]);
    expect(again.status).toBe(3);
    expect(again.stdout).toBe("hello you\n");
  });

  it("exits 2 on bad input, naming it", async () => {
    const cases: [string[], RegExp][] = [
      [["jobs", "run", "greet", "--bogus"], /Unknown option '--bogus'/],
      [["jobs", "run"], /Which job\?/],
      [["jobs", "run", "nope", "--arg", "who=x"], /nope/i],
      [["jobs", "run", "greet", "--arg", "who=x", "--arg", "code=abc"], /code: expected a number/],
      [["jobs", "run", "greet", "--arg", "who"], /expected name=value/],
      [["jobs", "run", "greet", "--in", "soon"], /--in soon/],
      [["runs", "list", "--status", "bogus"], /There is no status bogus/],
      [["runs", "frobnicate", "x"], /unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = await berth(args);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.status, args.join(" ")).toBe(2);
    }
    // nothing was queued: two runs, the cancelled one and the rerun
    expect(JSON.parse((await berth(["runs", "list", "--json"])).stdout)).toHaveLength(4);
    expect((await berth(["jobs", "run", "--help"])).stdout).toContain("--follow");
    expect((await berth(["runs", "--help"])).stdout).toContain("berth runs list");
    expect((await berth(["--help"])).stdout).toContain("berth jobs ...");
  });
});
