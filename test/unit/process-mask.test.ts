import { describe, expect, it } from "vitest";
import { createMasker, maskSecrets } from "../../src/adapters/process/mask.ts";

/** Feeds `text` to a masker in the given pieces and joins what comes out. */
function streamed(text: string, cuts: number[], secrets: string[]): string {
  const masker = createMasker(secrets);
  let out = "";
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    out += masker.push(text.slice(at, cut));
    at = cut;
  }
  return out + masker.end();
}

describe("maskSecrets", () => {
  it("masks every occurrence of every secret", () => {
    expect(maskSecrets("tok=abcd1234 again abcd1234, pw hunter2", ["abcd1234", "hunter2"])).toBe(
      "tok=*** again ***, pw ***",
    );
  });

  it("ignores secrets shorter than 4 characters and empty ones", () => {
    expect(maskSecrets("on yes abc", ["", "on", "abc"])).toBe("on yes abc");
  });

  it("treats secrets as literal text, not patterns", () => {
    expect(maskSecrets("a.b*c a1b*c (x|y)", ["a.b*c", "(x|y)"])).toBe("*** a1b*c ***");
  });

  it("prefers the longer of two overlapping secrets", () => {
    expect(maskSecrets("abcdefgh abcd", ["abcd", "abcdefgh"])).toBe("*** ***");
  });

  it("masks multi-line secrets", () => {
    expect(maskSecrets("key:\nline1\nline2\nend", ["line1\nline2"])).toBe("key:\n***\nend");
  });
});

describe("createMasker (streamed output)", () => {
  const secret = "s3cr3t-t0ken";

  it("masks a secret split across two chunks", () => {
    const masker = createMasker([secret]);
    const first = masker.push("token is s3cr3t");
    expect(first).toBe("token is ");
    const second = masker.push("-t0ken, done\n");
    expect(first + second + masker.end()).toBe("token is ***, done\n");
  });

  it("masks a secret split across many one-character chunks", () => {
    const text = `a ${secret} b ${secret}`;
    expect(
      streamed(
        text,
        [...text].map((_, i) => i),
        [secret],
      ),
    ).toBe("a *** b ***");
  });

  it("does not delay output that cannot start a secret", () => {
    const masker = createMasker([secret]);
    expect(masker.push("Building...\n")).toBe("Building...\n");
    expect(masker.push("done s")).toBe("done ");
    expect(masker.push("ummary\n")).toBe("summary\n");
  });

  it("emits a held prefix at the end when no secret followed", () => {
    const masker = createMasker([secret]);
    expect(masker.push("last: s3cr")).toBe("last: ");
    expect(masker.end()).toBe("s3cr");
  });

  it("drops a held prefix when the stream is cut off", () => {
    const masker = createMasker([secret]);
    expect(masker.push("cut here: s3cr3t-t")).toBe("cut here: ");
    masker.drop();
    expect(masker.end()).toBe("");
  });

  it("gives the same result as masking the whole text, however it is split", () => {
    const secrets = ["abcd", "abcdefgh", "cdxy", "xyxyxy", "token-123"];
    const alphabet = "abcdefghxy-123 \ntoken";
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const length = 1 + rand(80);
      let text = "";
      while (text.length < length) {
        text +=
          rand(4) === 0
            ? (secrets[rand(secrets.length)] ?? "")
            : (alphabet[rand(alphabet.length)] ?? "");
      }
      const cuts = [...new Set(Array.from({ length: rand(6) }, () => rand(text.length)))].sort(
        (a, b) => a - b,
      );
      expect(streamed(text, cuts, secrets), JSON.stringify({ text, cuts })).toBe(
        maskSecrets(text, secrets),
      );
    }
  });

  it("passes text through when there are no secrets", () => {
    const masker = createMasker([]);
    expect(masker.push("abc")).toBe("abc");
    expect(masker.end()).toBe("");
  });
});
