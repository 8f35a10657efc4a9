import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const main = path.resolve(import.meta.dirname, "../../src/main.ts");

describe("start-up", () => {
  it.each([
    ["BERTH_PORT", "abc"],
    ["BERTH_BASE_DOMAIN", "not a domain"],
    ["BERTH_MAX_COMPRESSION_RATIO", "zero"],
  ])("stops with a message naming %s when it is %j", (key, value) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-cfg-"));
    try {
      const run = spawnSync(process.execPath, [main], {
        env: { PATH: process.env.PATH ?? "", BERTH_DATA_DIR: dir, [key]: value },
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(key);
      expect(fs.existsSync(path.join(dir, "berth.db"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
