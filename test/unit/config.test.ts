import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("config", () => {
  it("has working defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      baseDomain: "localhost",
      dataDir: path.resolve("./data"),
      publicUrl: "http://localhost:8080",
      defaultRetention: 10,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it("reads the variables", () => {
    const c = loadConfig({
      BERTH_PORT: "9000",
      BERTH_BASE_DOMAIN: "apps.example.com",
      BERTH_PUBLIC_URL: "https://berth.example.com/",
      BERTH_MAX_BUNDLE_BYTES: "1000",
    });
    expect(c.port).toBe(9000);
    expect(c.publicUrl).toBe("https://berth.example.com");
    expect(c.limits.maxBundleBytes).toBe(1000);
  });
  it("reads the error-report limits, 1 MiB and 20 MiB by default", () => {
    expect(loadConfig({}).reports).toMatchObject({
      maxEventBytes: 1048576,
      maxEnvelopeBytes: 20971520,
    });
    const c = loadConfig({
      BERTH_REPORT_RATE_PER_MINUTE: "60",
      BERTH_REPORT_EVENTS_PER_GROUP: "5",
    });
    expect(c.reports).toMatchObject({ ratePerMinute: 60, eventsPerGroup: 5, retentionDays: 30 });
  });
  it.each([
    ["BERTH_PORT", "eighty"],
    ["BERTH_PORT", "70000"],
    ["BERTH_BASE_DOMAIN", "Bad Domain"],
    ["BERTH_PUBLIC_URL", "not a url"],
    ["BERTH_MAX_BUNDLE_BYTES", "-1"],
    ["BERTH_LOG_LEVEL", "loud"],
    ["BERTH_DEFAULT_RETENTION", "0"],
    ["BERTH_REPORT_RATE_PER_MINUTE", "fast"],
    ["BERTH_REPORT_MAX_EVENT_BYTES", "0"],
  ])("stops with a message naming %s for %j", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });
});
