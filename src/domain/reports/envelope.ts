/**
 * The Sentry envelope: a JSON header line, then items, each a JSON header line and a
 * payload (`length` bytes when the header gives it, else up to the next newline).
 */
import { invalid, tooLarge } from "../errors.ts";

export type EnvelopeItem = { type: string; payload: Buffer };
export type Envelope = { header: Record<string, unknown>; items: EnvelopeItem[] };

const NL = 0x0a;

function jsonLine(buf: Buffer, start: number): { value: Record<string, unknown>; next: number } {
  let end = buf.indexOf(NL, start);
  if (end === -1) end = buf.length;
  const text = buf.subarray(start, end).toString("utf8").trim();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : {};
  } catch {
    throw invalid("bad_envelope", "An envelope header is not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw invalid("bad_envelope", "An envelope header must be a JSON object.");
  return { value: value as Record<string, unknown>, next: end + 1 };
}

/** Splits an envelope; an `event` item larger than maxItemBytes is a 413. */
export function parseEnvelope(buf: Buffer, maxItemBytes: number): Envelope {
  const first = jsonLine(buf, 0);
  const items: EnvelopeItem[] = [];
  let pos = first.next;
  while (pos < buf.length) {
    // blank lines between items are tolerated
    if (buf[pos] === NL) {
      pos++;
      continue;
    }
    const head = jsonLine(buf, pos);
    pos = head.next;
    const type = typeof head.value.type === "string" ? head.value.type : "";
    const length = head.value.length;
    let payload: Buffer;
    if (typeof length === "number" && Number.isInteger(length) && length >= 0) {
      if (pos + length > buf.length)
        throw invalid("bad_envelope", "An envelope item is shorter than its length.");
      payload = buf.subarray(pos, pos + length);
      pos += length;
      if (buf[pos] === NL) pos++;
    } else {
      let end = buf.indexOf(NL, pos);
      if (end === -1) end = buf.length;
      payload = buf.subarray(pos, end);
      pos = end + 1;
    }
    if (type === "event" && payload.length > maxItemBytes)
      throw tooLarge("event_too_large", `An event may be at most ${maxItemBytes} bytes.`);
    items.push({ type, payload });
  }
  return { header: first.value, items };
}

/** The public key of a DSN (`scheme://<key>@host/<project>`), or null. */
export function dsnKey(dsn: unknown): string | null {
  if (typeof dsn !== "string") return null;
  try {
    return new URL(dsn).username || null;
  } catch {
    return null;
  }
}

/** `sentry_key` out of an `X-Sentry-Auth: Sentry sentry_key=..., sentry_version=7` header. */
export function authHeaderKey(header: string | undefined): string | null {
  if (!header) return null;
  return /sentry_key=([^,\s]+)/.exec(header)?.[1] ?? null;
}
