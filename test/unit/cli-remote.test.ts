import { describe, expect, it } from "vitest";
import { parseIgnore } from "../../src/cli/remote/ignore.ts";
import { progress, type Term } from "../../src/cli/remote/output.ts";

describe(".berthignore", () => {
  it("matches like gitignore: globs, anchors, directories, negation", () => {
    const ignore = parseIgnore("# comment\n*.map\n/drafts\nsecret/\n!keep.map\ndocs/**/*.psd\n");
    expect(ignore("app.js.map", false)).toBe(true);
    expect(ignore("js/app.js.map", false)).toBe(true);
    expect(ignore("keep.map", false)).toBe(false);
    expect(ignore("drafts", true)).toBe(true);
    expect(ignore("blog/drafts", true)).toBe(false);
    expect(ignore("secret", true)).toBe(true);
    expect(ignore("secret/a.txt", false)).toBe(true);
    expect(ignore("docs/a/b/c.psd", false)).toBe(true);
    expect(ignore("index.html", false)).toBe(false);
    expect(ignore(".git", true)).toBe(true);
    expect(ignore(".berthignore", false)).toBe(true);
  });
});

describe("upload progress", () => {
  const term = (tty: boolean) => {
    const seen = { err: [] as string[], status: [] as string[] };
    const t: Term = {
      out: () => undefined,
      err: (l) => seen.err.push(l),
      status: (s) => seen.status.push(s),
      tty,
    };
    return { t, seen };
  };

  it("draws a bar in place on a terminal", () => {
    const { t, seen } = term(true);
    const bar = progress(t, 2048, "Uploading");
    bar.update(1024);
    bar.done();
    expect(seen.status[0]).toBe(
      `Uploading [${"#".repeat(14)}${"-".repeat(14)}] 50% 1.0 KiB of 2.0 KiB`,
    );
    expect(seen.status.at(-1)).toBe("");
    expect(seen.err).toEqual([]);
  });

  it("prints a plain line per quarter otherwise", () => {
    const { t, seen } = term(false);
    const bar = progress(t, 100, "Uploading");
    for (let i = 0; i <= 100; i += 5) bar.update(i);
    expect(seen.err.map((l) => l.split(":")[1]?.trim().split(" ")[0])).toEqual([
      "0%",
      "25%",
      "50%",
      "75%",
      "100%",
    ]);
    expect(seen.status).toEqual([]);
  });
});
