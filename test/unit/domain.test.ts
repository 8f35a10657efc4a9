import { describe, expect, it } from "vitest";
import { environmentLabel, parseSiteHost, previewLabel } from "../../src/domain/edge/hosts.ts";
import { DomainError } from "../../src/domain/errors.ts";
import { ID_PATTERN, newId } from "../../src/domain/ids.ts";
import { assertName, nameProblem } from "../../src/domain/names.ts";
import {
  assertTransition,
  canTransition,
  DEPLOYMENT_STATUSES,
  isRollbackCandidate,
  TERMINAL,
} from "../../src/domain/releases/deployment.ts";

describe("names", () => {
  it.each(["a", "site", "my-site", "a1-b2-c3", "x".repeat(30)])("accepts %s", (n) => {
    expect(nameProblem(n)).toBeNull();
  });
  it.each(["", "A", "1a", "-a", "a-", "a--b", "a_b", "a.b", "x".repeat(31), "é"])(
    "refuses %j",
    (n) => {
      expect(nameProblem(n)).not.toBeNull();
      expect(() => assertName("service", n)).toThrow(DomainError);
    },
  );
  it("names the field and code", () => {
    try {
      assertName("environment", "Bad");
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({
        kind: "unprocessable",
        code: "invalid_environment_name",
        field: "name",
      });
    }
  });
});

describe("deployment state machine", () => {
  it("follows the pipeline forward", () => {
    expect(canTransition("queued", "preparing")).toBe(true);
    expect(canTransition("preparing", "activating")).toBe(true);
    expect(canTransition("activating", "live")).toBe(true);
    expect(canTransition("live", "superseded")).toBe(true);
    expect(canTransition("superseded", "live")).toBe(true);
  });
  it("lets any in-flight step fail or be interrupted", () => {
    for (const s of ["queued", "preparing", "activating"] as const) {
      expect(canTransition(s, "failed")).toBe(true);
      expect(canTransition(s, "interrupted")).toBe(true);
    }
  });
  it("never leaves failed, cancelled or interrupted, and never skips ahead", () => {
    for (const from of ["failed", "cancelled", "interrupted"] as const) {
      for (const to of DEPLOYMENT_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
    expect(canTransition("queued", "live")).toBe(false);
    expect(canTransition("live", "failed")).toBe(false);
    expect(() => assertTransition("failed", "live")).toThrow(/cannot go from failed to live/);
  });
  it("knows terminal states and rollback targets", () => {
    expect([...TERMINAL].sort()).toEqual([
      "cancelled",
      "failed",
      "interrupted",
      "live",
      "superseded",
    ]);
    expect(isRollbackCandidate({ status: "superseded", pruned: false })).toBe(true);
    expect(isRollbackCandidate({ status: "superseded", pruned: true })).toBe(false);
    expect(isRollbackCandidate({ status: "failed", pruned: false })).toBe(false);
  });
});

describe("ids", () => {
  it("are lowercase ULIDs that sort by creation, even within one millisecond", () => {
    const ids = Array.from({ length: 1000 }, () => newId(1_700_000_000_000));
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
    expect(newId(1_800_000_000_000) > (ids.at(-1) as string)).toBe(true);
  });
});

describe("site hosts", () => {
  const id = newId();
  it("parses environment and preview labels under the base domain", () => {
    expect(
      parseSiteHost(`${environmentLabel("site", "production")}.localhost:8080`, "localhost"),
    ).toEqual({
      kind: "environment",
      service: "site",
      environment: "production",
    });
    expect(parseSiteHost(`${previewLabel("site", id)}.localhost`, "localhost")).toEqual({
      kind: "preview",
      service: "site",
      deploymentId: id,
    });
    expect(parseSiteHost("staging--docs.apps.example.com.", "apps.example.com")).toMatchObject({
      environment: "staging",
    });
  });
  it.each([
    "localhost:8080",
    "127.0.0.1:8080",
    "site.localhost",
    "a.b--site.localhost",
    "production--site.example.com",
    "prod--uction--site.localhost",
    "Production--site.localhost-evil",
    "--site.localhost",
  ])("does not treat %s as a site", (host) => {
    expect(parseSiteHost(host, "localhost")).toBeNull();
  });
  it("fits a DNS label for the longest names", () => {
    expect(previewLabel("s".repeat(30), id).length).toBeLessThanOrEqual(63);
    expect(environmentLabel("s".repeat(30), "e".repeat(30)).length).toBeLessThanOrEqual(63);
  });
});
