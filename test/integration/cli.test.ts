import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../helpers/server.ts";

const bin = path.resolve(import.meta.dirname, "../../bin/berth.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cli-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const berth = (args: string[], input = "") =>
  spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? "", BERTH_DATA_DIR: dir },
    input,
    encoding: "utf8",
    timeout: 30_000,
  });

describe("berth admin commands on the data directory", () => {
  it("adds an owner with the password from stdin and makes a key that works against the server", async () => {
    const add = berth(
      ["user", "add", "ops@example.com", "--role", "owner"],
      "a long enough passphrase\n",
    );
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    expect(add.stdout).toContain("Created owner ops@example.com");

    const weak = berth(["user", "add", "weak@example.com", "--role", "viewer"], "short\n");
    expect(weak.status).toBe(1);
    expect(weak.stderr).toContain("at least 12 characters");

    const key = berth([
      "key",
      "create",
      "--user",
      "ops@example.com",
      "--scope",
      "deploy",
      "--expires",
      "30d",
    ]);
    expect(key.status).toBe(0);
    const secret = key.stdout.trim();
    expect(secret).toMatch(/^berth_[a-z2-7]{32}$/);
    expect(key.stderr).toContain("shown once");

    const list = berth(["key", "list"]);
    expect(list.stdout).toContain(secret.slice(0, 14));
    expect(list.stdout).not.toContain(secret);

    expect(berth(["key", "create", "--user", "ghost@example.com", "--scope", "read"]).status).toBe(
      1,
    );
    expect(
      berth(["key", "create", "--user", "ops@example.com", "--scope", "read", "--expires", "soon"])
        .status,
    ).toBe(1);
    expect(berth(["nonsense"]).status).toBe(2);

    server = await startServer(dir);
    const me = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { email: string }; scope: string }).scope).toBe("deploy");
    const row = list.stdout.split("\n").find((l) => l.includes(secret.slice(0, 14)));
    const id = row?.split("\t")[0] as string;
    expect(berth(["key", "revoke", id]).status).toBe(0);
    expect(
      (await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } }))
        .status,
    ).toBe(401);
  });
});
