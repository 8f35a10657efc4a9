import { describe, expect, it } from "vitest";
import { commandArgv } from "../../src/adapters/process/command.ts";
import { cleanEnv } from "../../src/adapters/process/env.ts";
import { DomainError } from "../../src/domain/errors.ts";

describe("cleanEnv", () => {
  const berth = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/var/lib/berth",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TZ: "UTC",
    TMPDIR: "/tmp",
    https_proxy: "http://proxy.internal:3128",
    JAVA_HOME: "/usr/lib/jvm/default",
    BERTH_SECRET_KEY: "ab".repeat(32),
    BERTH_DATA_DIR: "/var/lib/berth",
    berth_lower: "x",
    CLOUDFLARE_API_TOKEN: "cf",
    GITHUB_TOKEN: "gh",
    WEBHOOK_SECRET: "w",
    DB_PASSWORD: "p",
    MYSQL_PWD_PASSWORD_FILE: "/run/x",
    AWS_ACCESS_KEY_ID: "AKIA",
    AWS_SECRET_ACCESS_KEY: "s",
    SSH_KEY: "k",
    API_KEY: "k",
    SENTRY_DSN: "https://k@sentry.io/1",
    DATABASE_URL: "postgres://berth:hunter2@db/berth",
    HTTP_PROXY: "http://user:pw@proxy:3128",
    npm_config__authToken: "npm",
    npm_lifecycle_event: "start",
    NODE_OPTIONS: "--require /opt/berth/trace.js",
    GIT_DIR: "/var/lib/berth/.git",
    SSH_AUTH_SOCK: "/run/user/1000/ssh-agent",
    NOTIFY_SOCKET: "/run/systemd/notify",
    CREDENTIALS_DIRECTORY: "/run/credentials/berth.service",
    INVOCATION_ID: "abc",
    UNSET: undefined,
  };

  it("keeps the ordinary environment and drops everything private to Berth", () => {
    const env = cleanEnv(berth, {});
    expect(env).toEqual({
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: "/var/lib/berth",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      TZ: "UTC",
      TMPDIR: "/tmp",
      https_proxy: "http://proxy.internal:3128",
      JAVA_HOME: "/usr/lib/jvm/default",
    });
  });

  it("adds the build's own variables, which win and may be named anything valid", () => {
    const env = cleanEnv(berth, { NODE_ENV: "production", PATH: "/opt/node/bin", API_TOKEN: "t" });
    expect(env.NODE_ENV).toBe("production");
    expect(env.PATH).toBe("/opt/node/bin");
    expect(env.API_TOKEN).toBe("t"); // the user's own secret, for their build
    expect(env.BERTH_SECRET_KEY).toBeUndefined();
  });

  it("refuses unusable variable names or values from the build", () => {
    expect(() => cleanEnv({}, { "A=B": "x" })).toThrow(DomainError);
    expect(() => cleanEnv({}, { "1A": "x" })).toThrow(/not a valid variable name/);
    expect(() => cleanEnv({}, { A: "x\0y" })).toThrow(/NUL/);
  });
});

describe("commandArgv", () => {
  it("hands the user's line to /bin/sh -c verbatim", () => {
    expect(commandArgv("npm ci && npm run build -- --out dist")).toEqual([
      "/bin/sh",
      "-c",
      "npm ci && npm run build -- --out dist",
    ]);
  });

  it("refuses an empty line or a NUL byte", () => {
    expect(() => commandArgv("  ")).toThrow(DomainError);
    expect(() => commandArgv("echo a\0b")).toThrow(DomainError);
  });
});
