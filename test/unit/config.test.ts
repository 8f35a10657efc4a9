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
  it("takes several nginx listen addresses, the first one for Berth's own checks", () => {
    const c = loadConfig({
      BERTH_NGINX_LISTEN: "80, [::]:80",
      BERTH_NGINX_LISTEN_TLS: "127.0.0.1:8443,[::1]:8443",
    });
    expect(c.edge.nginx.listenAll).toEqual(["80", "[::]:80"]);
    expect(c.edge.nginx.listen).toBe("80");
    expect(c.edge.nginx.listenTlsAll).toEqual(["127.0.0.1:8443", "[::1]:8443"]);
    expect(c.edge.nginx.listenTls).toBe("127.0.0.1:8443");
    expect(loadConfig({}).edge.nginx.listenAll).toEqual(["80"]);
  });
  it("reads the sandbox settings, on with limits by default", () => {
    expect(loadConfig({}).sandbox).toEqual({
      mode: "on",
      bwrap: "/usr/bin/bwrap",
      limits: { memoryMb: 4096, processes: 512, fileSizeMb: 1024, cpuSeconds: 3600 },
    });
    const c = loadConfig({
      BERTH_SANDBOX: "off",
      BERTH_SANDBOX_MEMORY_MB: "512",
      BERTH_SANDBOX_PROCESSES: "64",
      BERTH_SANDBOX_FILE_SIZE_MB: "10",
      BERTH_SANDBOX_CPU_SECONDS: "60",
      BERTH_WORK_DIR: "/var/cache/berth/work",
    });
    expect(c.sandbox).toMatchObject({
      mode: "off",
      limits: { memoryMb: 512, processes: 64, fileSizeMb: 10, cpuSeconds: 60 },
    });
    expect(c.workDir).toBe("/var/cache/berth/work");
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
    ["BERTH_NGINX_LISTEN", "80 default_server"],
    ["BERTH_NGINX_LISTEN", "80,,443"],
    ["BERTH_NGINX_LISTEN", "80;[::]:80"],
    ["BERTH_NGINX_LISTEN_TLS", "443,::443"],
    ["BERTH_SANDBOX", "maybe"],
    ["BERTH_SANDBOX_PROCESSES", "2"],
    ["BERTH_SANDBOX_MEMORY_MB", "lots"],
    ["BERTH_REPORT_RATE_PER_MINUTE", "fast"],
    ["BERTH_REPORT_MAX_EVENT_BYTES", "0"],
  ])("stops with a message naming %s for %j", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });
});
