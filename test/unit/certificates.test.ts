import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadAccountKey } from "../../src/adapters/acme/account.ts";
import { describeAcmeError } from "../../src/adapters/acme/errors.ts";
import { storeCertificate } from "../../src/adapters/acme/store.ts";
import { removeChallenge, writeChallenge } from "../../src/adapters/acme/webroot.ts";
import {
  certificateDue,
  certificateNames,
  certificateRetryDelay,
} from "../../src/domain/edge/certificates.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("certificateRetryDelay", () => {
  it("doubles from 5 minutes and stops at a day", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(certificateRetryDelay);
    expect(delays).toEqual([
      5 * MIN,
      10 * MIN,
      20 * MIN,
      40 * MIN,
      80 * MIN,
      160 * MIN,
      320 * MIN,
      640 * MIN,
      1280 * MIN,
      DAY,
      DAY,
    ]);
  });

  it("never overflows or goes below the first step", () => {
    expect(certificateRetryDelay(10_000)).toBe(DAY);
    expect(certificateRetryDelay(0)).toBe(5 * MIN);
    expect(certificateRetryDelay(-3)).toBe(5 * MIN);
  });
});

describe("certificateDue", () => {
  const now = Date.UTC(2026, 0, 1);
  const row = (
    certStatus: "none" | "pending" | "issued" | "error",
    certExpiresAt: number | null = null,
    certNextAttemptAt: number | null = null,
  ) => ({ certStatus, certExpiresAt, certNextAttemptAt });

  it("asks for a first certificate at once", () => {
    expect(certificateDue(row("none"), now)).toBe(true);
    expect(certificateDue(row("pending"), now)).toBe(true);
  });

  it("renews within 30 days of expiry, not before", () => {
    expect(certificateDue(row("issued", now + 31 * DAY), now)).toBe(false);
    expect(certificateDue(row("issued", now + 30 * DAY), now)).toBe(true);
    expect(certificateDue(row("issued", now + 2 * DAY), now)).toBe(true);
    expect(certificateDue(row("issued", now - DAY), now)).toBe(true);
  });

  it("retries a failure only once its next attempt is due", () => {
    expect(certificateDue(row("error", null, now + MIN), now)).toBe(false);
    expect(certificateDue(row("error", null, now), now)).toBe(true);
    expect(certificateDue(row("error", now + 60 * DAY, now - 1), now)).toBe(true);
  });
});

describe("certificateNames", () => {
  it("adds www only when the domain redirects it", () => {
    expect(certificateNames({ hostname: "a.example.com", wwwRedirect: false })).toEqual([
      "a.example.com",
    ]);
    expect(certificateNames({ hostname: "example.com", wwwRedirect: true })).toEqual([
      "example.com",
      "www.example.com",
    ]);
  });
});

describe("describeAcmeError", () => {
  const url = "https://acme.example.com/directory";
  it("names the server and the network error", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(describeAcmeError(err, url)).toBe(
      "Could not reach the ACME server at https://acme.example.com (ECONNREFUSED).",
    );
  });

  it("points at BERTH_ACME_CA_FILE when the server's certificate is not trusted", () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'config')");
    expect(describeAcmeError(err, url, "SELF_SIGNED_CERT_IN_CHAIN")).toMatch(
      /does not trust \(SELF_SIGNED_CERT_IN_CHAIN\).*BERTH_ACME_CA_FILE/,
    );
    expect(describeAcmeError(err, url)).toMatch(/did not answer after several tries/);
  });

  it("passes the CA's own words through", () => {
    expect(describeAcmeError(new Error("Invalid response: 404"), url)).toBe(
      "Invalid response: 404",
    );
  });
});

describe("files", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "berth-certs-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  it("stores a pair behind one symlink, key 0600, folders 0700, the last pair kept", async () => {
    const certs = path.join(tmp(), "certs");
    const files = {
      fullchain: path.join(certs, "a.example.com", "fullchain.pem"),
      key: path.join(certs, "a.example.com", "privkey.pem"),
    };
    for (const n of [1, 2, 3]) {
      await storeCertificate(files, { fullchain: `chain ${n}`, key: `key ${n}` });
      expect(fs.readFileSync(files.fullchain, "utf8")).toBe(`chain ${n}`);
      expect(fs.readFileSync(files.key, "utf8")).toBe(`key ${n}`);
    }
    expect(fs.lstatSync(path.dirname(files.fullchain)).isSymbolicLink()).toBe(true);
    expect(mode(certs)).toBe(0o700);
    expect(mode(path.dirname(files.fullchain))).toBe(0o700);
    expect(mode(files.key)).toBe(0o600);
    const versions = fs.readdirSync(certs).filter((n) => n.startsWith(".a.example.com@"));
    expect(versions).toHaveLength(2); // the live pair and the one it replaced
  });

  it("takes over a plain folder left by hand", async () => {
    const certs = path.join(tmp(), "certs");
    fs.mkdirSync(path.join(certs, "b.example.com"), { recursive: true });
    fs.writeFileSync(path.join(certs, "b.example.com", "fullchain.pem"), "old");
    const files = {
      fullchain: path.join(certs, "b.example.com", "fullchain.pem"),
      key: path.join(certs, "b.example.com", "privkey.pem"),
    };
    await storeCertificate(files, { fullchain: "new", key: "k" });
    expect(fs.readFileSync(files.fullchain, "utf8")).toBe("new");
  });

  it("makes the account key once, 0600, and reuses it", async () => {
    const file = path.join(tmp(), "certs", "_account.key");
    const [a, b] = await Promise.all([loadAccountKey(file), loadAccountKey(file)]);
    expect(a.toString()).toContain("PRIVATE KEY");
    expect(b.equals(a)).toBe(true);
    expect((await loadAccountKey(file)).equals(a)).toBe(true);
    expect(mode(file)).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["_account.key"]);
  });

  it("publishes challenges where nginx serves them, and only base64url tokens", async () => {
    const webroot = path.join(tmp(), "acme");
    const token = "abcDEF123_-abcDEF123_-";
    await writeChallenge(webroot, token, "key-auth");
    const file = path.join(webroot, ".well-known", "acme-challenge", token);
    expect(fs.readFileSync(file, "utf8")).toBe("key-auth");
    expect(mode(file)).toBe(0o644);
    expect(mode(path.dirname(file))).toBe(0o755);
    await removeChallenge(webroot, token);
    expect(fs.existsSync(file)).toBe(false);
    await expect(writeChallenge(webroot, "../../etc/passwd-xxxxxxxx", "x")).rejects.toThrow(
      /malformed/,
    );
  });
});
