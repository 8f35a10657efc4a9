/** What a secret becomes in output. */
export const MASK = "***";

/** Shorter values would mask ordinary words ("on", "yes"), so they are not treated as secrets. */
export const MIN_SECRET_LENGTH = 4;

/** Distinct usable secrets, longest first, so the longest of two overlapping ones wins. */
function usable(secrets: readonly string[]): string[] {
  const kept = new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH));
  return [...kept].sort((a, b) => b.length - a.length);
}

const escapeRegExp = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

function patternOf(secrets: string[]): RegExp | null {
  return secrets.length === 0 ? null : new RegExp(secrets.map(escapeRegExp).join("|"), "g");
}

/** Replaces every occurrence of every secret of at least 4 characters with "***". */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  const pattern = patternOf(usable(secrets));
  return pattern ? text.replace(pattern, MASK) : text;
}

export type Masker = {
  /** Masks what is safe to show so far; holds back a tail that may be the start of a secret. */
  push(text: string): string;
  /** The stream ended: masks and returns the held-back tail. */
  end(): string;
  /** The stream was cut off: the held-back tail is discarded, it might be half a secret. */
  drop(): void;
};

/**
 * Masks a stream that arrives in chunks, so a secret split across two chunks is still
 * masked. Only a tail that is a proper prefix of some secret is held back (at most the
 * longest secret minus one character), so ordinary output is not delayed. The result
 * equals maskSecrets over the whole stream, however it was split.
 */
export function createMasker(secrets: readonly string[]): Masker {
  const list = usable(secrets);
  const pattern = patternOf(list);
  const longest = list[0]?.length ?? 0;
  const firstChars = new Set(list.map((s) => s.charCodeAt(0)));
  let held = "";

  /** The first position at or after `from` where the rest of `text` could begin a secret. */
  function holdStart(text: string, from: number): number {
    for (let j = Math.max(from, text.length - longest + 1); j < text.length; j++) {
      if (!firstChars.has(text.charCodeAt(j))) continue;
      const tail = text.slice(j);
      if (list.some((s) => s.length > tail.length && s.startsWith(tail))) return j;
    }
    return text.length;
  }

  return {
    push(chunk) {
      if (!pattern) return chunk;
      const text = held + chunk;
      let out = "";
      let i = 0;
      let hold = holdStart(text, 0);
      for (;;) {
        pattern.lastIndex = i;
        const m = pattern.exec(text);
        // A match before `hold` is final: no longer secret can still be growing at or before it.
        if (!m || m.index >= hold) break;
        out += text.slice(i, m.index) + MASK;
        i = m.index + m[0].length;
        if (i > hold) hold = holdStart(text, i);
      }
      out += text.slice(i, hold);
      held = text.slice(Math.max(i, hold));
      return out;
    },
    end() {
      const rest = held;
      held = "";
      return pattern ? rest.replace(pattern, MASK) : rest;
    },
    drop() {
      held = "";
    },
  };
}
