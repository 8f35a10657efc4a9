import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createSecrets, loadSecretKey, Secret } from "../../src/services/core/secrets.ts";

describe("secrets at rest", () => {
  it("round-trips with AES-256-GCM and a fresh IV each time", () => {
    const s = createSecrets(Buffer.alloc(32, 7));
    const a = s.encrypt("cf-token-123");
    const b = s.encrypt("cf-token-123");
    expect(a).not.toBe(b);
    expect(a).not.toContain("cf-token-123");
    expect(s.decrypt(a)).toBe("cf-token-123");
  });

  it("refuses a tampered blob or the wrong key", () => {
    const s = createSecrets(Buffer.alloc(32, 7));
    const blob = s.encrypt("value");
    const raw = Buffer.from(blob.slice(3), "base64");
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => s.decrypt(`v1:${raw.toString("base64")}`)).toThrow();
    expect(() => createSecrets(Buffer.alloc(32, 8)).decrypt(blob)).toThrow();
  });

  it("makes a 0600 key file once and reuses it; a configured key wins", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-key-"));
    try {
      const first = loadSecretKey(dir, null);
      expect(first).toHaveLength(32);
      expect(fs.statSync(path.join(dir, "secret.key")).mode & 0o777).toBe(0o600);
      expect(loadSecretKey(dir, null).equals(first)).toBe(true);
      expect(loadSecretKey(dir, "ab".repeat(32)).equals(Buffer.alloc(32, 0xab))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("wraps values so they print redacted", () => {
    const s = new Secret("hunter2-hunter2");
    expect(String(s)).toBe("[redacted]");
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect({ s })).not.toContain("hunter2");
    expect(s.reveal()).toBe("hunter2-hunter2");
  });
});
