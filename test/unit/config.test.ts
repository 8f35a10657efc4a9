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
  ])("stops with a message naming %s for %j", (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });
});
