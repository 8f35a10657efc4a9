import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A lowercase monotonic ULID: 10 characters of milliseconds then 16 random ones. Ids made
 * later sort later, even within one millisecond, so "newest first" is an order by id. It
 * always starts with a digit (until the year 10889), which keeps preview host labels apart
 * from environment names (those start with a letter).
 */
export function newId(now: number = Date.now()): string {
  let random: number[];
  if (now <= lastTime) {
    now = lastTime;
    random = increment(lastRandom);
  } else {
    random = [...randomBytes(16)].map((b) => b % 32);
  }
  lastTime = now;
  lastRandom = random;
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  return time + random.map((d) => CROCKFORD.charAt(d)).join("");
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    const d = (next[i] ?? 0) + 1;
    if (d < 32) {
      next[i] = d;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

export const ID_PATTERN = /^[0-7][0-9a-hjkmnp-tv-z]{25}$/;
