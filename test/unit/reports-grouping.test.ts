import { describe, expect, it } from "vitest";
import { parseEnvelope } from "../../src/domain/reports/envelope.ts";
import {
  groupingComponents,
  groupingKey,
  normaliseFilename,
  normaliseMessage,
  parseSentryEvent,
  releaseRefs,
} from "../../src/domain/reports/reports.ts";

const ev = (over: Record<string, unknown> = {}) =>
  parseSentryEvent(
    {
      event_id: "a".repeat(32),
      exception: {
        values: [
          {
            type: "Error",
            value: "User 42 not found",
            stacktrace: {
              frames: [
                { filename: "node:internal/x", function: "run", in_app: false },
                {
                  filename: "https://cdn.example.com/app.3f9a1c2e.js?v=1",
                  function: "load",
                  lineno: 10,
                  in_app: true,
                },
                { filename: "/srv/app/users.js", function: "find", lineno: 3, in_app: true },
              ],
            },
          },
        ],
      },
      ...over,
    },
    0,
    () => "b".repeat(32),
  );

describe("the grouping rule", () => {
  it("groups by type, normalised message and top in-app frames (file without hash, no lines)", () => {
    expect(groupingComponents(ev())).toEqual([
      "exception",
      "Error",
      "User <n> not found",
      "/srv/app/users.js:find",
      "/app.js:load",
    ]);
  });

  it("normalises the variable parts of a message", () => {
    expect(
      normaliseMessage(
        "Order 123e4567-e89b-12d3-a456-426614174000 for bob@example.com at https://x.io/a?b failed 3 times (0xdeadbeef99)",
      ),
    ).toBe("Order <uuid> for <email> at <url> failed <n> times (<hex>)");
    expect(normaliseFilename("https://a.b/static/main-a1b2c3d4.js#x")).toBe("/static/main.js");
  });

  it("takes a fingerprint, expanding {{ default }}", () => {
    const plain = groupingKey(ev());
    expect(groupingKey(ev({ fingerprint: ["{{default}}"] }))).toBe(plain);
    expect(groupingKey(ev({ fingerprint: ["{{ default }}", "tenant-a"] }))).not.toBe(plain);
    const other = ev({
      fingerprint: ["checkout"],
      exception: { values: [{ type: "TypeError", value: "x" }] },
    });
    expect(groupingKey(other)).toBe(groupingKey(ev({ fingerprint: ["checkout"] })));
  });

  it("reads a Berth release: deployment id and commit", () => {
    expect(releaseRefs("01jd3k9x7m2q4r5s6t7v8w9x0y@4f2a9c1")).toEqual({
      deploymentId: "01jd3k9x7m2q4r5s6t7v8w9x0y",
      commit: "4f2a9c1",
    });
    expect(releaseRefs("shop@1.2.0")).toEqual({ deploymentId: null, commit: null });
  });
});

describe("the envelope", () => {
  it("splits items by length or by newline, and refuses an oversized event", () => {
    const body = Buffer.from(
      '{"dsn":"x"}\n{"type":"event","length":7}\n{"a":1}\n{"type":"session"}\n{"s":1}\n',
    );
    const env = parseEnvelope(body, 100);
    expect(env.items.map((i) => [i.type, i.payload.toString()])).toEqual([
      ["event", '{"a":1}'],
      ["session", '{"s":1}'],
    ]);
    expect(() => parseEnvelope(body, 3)).toThrow(/at most 3 bytes/);
  });
});
