import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/services/auth/passwords.ts";
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
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+PREFIX\s+SCOPE\s+SERVICE\s+STATE\s+NAME$/);
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
    const id = row?.split(/\s+/)[0] as string;
    expect(berth(["key", "revoke", id]).status).toBe(0);
    expect(
      (await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } }))
        .status,
    ).toBe(401);
  });

  it("reads one line of a piped password, prints its version, labels its lists", async () => {
    const add = berth(
      ["user", "add", "two@example.com", "--role", "viewer"],
      "first line is the password\nsecond line is not\n",
    );
    expect(add.status).toBe(0);
    const db = new Database(path.join(dir, "berth.db"), { readonly: true });
    const row = db
      .prepare("select password_hash as h from users where email = ?")
      .get("two@example.com") as { h: string };
    db.close();
    expect(await verifyPassword(row.h, "first line is the password")).toBe(true);
    const users = berth(["user", "list"]).stdout.split("\n");
    expect(users[0]).toMatch(/^ID\s+EMAIL\s+ROLE\s+STATE\s+SERVICES$/);
    expect(users.some((l) => /two@example\.com\s+viewer\s+active/.test(l))).toBe(true);
    const version = berth(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^berth \d+\.\d+\.\d+$/);
  });

  it("refuses a data directory that does not exist unless --init", () => {
    const missing = path.join(dir, "not-here");
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], {
        env: { PATH: process.env.PATH ?? "", BERTH_DATA_DIR: missing },
        input: "a long enough passphrase\n",
        encoding: "utf8",
        timeout: 30_000,
      });
    const refused = run(["user", "add", "x@example.com", "--role", "owner"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("does not exist");
    expect(fs.existsSync(missing)).toBe(false);
    const created = run(["user", "add", "x@example.com", "--role", "owner", "--init"]);
    expect(created.status).toBe(0);
    expect(fs.existsSync(missing)).toBe(true);
  });
});
