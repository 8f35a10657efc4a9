import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { prettyDestination, prettyLine } from "../../src/log-pretty.ts";

describe("logs on a terminal", () => {
  it("turns pino's JSON into a readable line, secrets still redacted", () => {
    const lines: string[] = [];
    const out = { isTTY: false, write: (s: string) => lines.push(s) };
    const logger = createLogger("info", prettyDestination(out as unknown as NodeJS.WriteStream));
    logger.info({ port: 8080, token: "s3cret" }, "listening");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening port=8080 token=\[redacted\]\n$/,
    );
    expect(prettyLine("not json", true)).toBe("not json");
    expect(prettyLine('{"level":50,"time":0,"msg":"boom"}', true)).toContain("\x1b[31mERROR");
  });
});
