/**
 * Error reports: what an event is once parsed, how events group, and the Sentry envelope
 * format. No I/O here; see docs/ERRORS.md for the grouping rule in words.
 */
import { createHash } from "node:crypto";

export const GROUP_STATUSES = ["unresolved", "resolved", "ignored"] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

export const REPORT_LEVELS = ["fatal", "error", "warning", "info", "debug"] as const;
export type ReportLevel = (typeof REPORT_LEVELS)[number];

export type Frame = {
  filename: string | null;
  function: string | null;
  lineno: number | null;
  colno: number | null;
  inApp: boolean;
};

/** One exception of a chain; frames oldest call first, the crashing frame last (as Sentry). */
export type ExceptionInfo = { type: string; value: string; frames: Frame[] };

/** An event as Berth keeps it, whatever SDK or JSON intake sent it. */
export type ReportEvent = {
  eventId: string;
  timestamp: number;
  level: ReportLevel;
  message: string;
  /** The chain, the cause first and the exception caught last. */
  exceptions: ExceptionInfo[];
  release: string | null;
  environment: string | null;
  tags: Record<string, string>;
  user: { id?: string; email?: string; username?: string; ip?: string } | null;
  url: string | null;
  sdk: string | null;
  fingerprint: string[] | null;
  transaction: string | null;
};

const str = (v: unknown, max = 2000): string | null =>
  typeof v === "string" ? v.slice(0, max) : typeof v === "number" ? String(v) : null;
const num = (v: unknown): number | null =>
  typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : null;
const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

const HEX32 = /^[0-9a-f]{32}$/;

/** Sentry sends `event_id` as 32 hex digits; a dashed UUID is accepted and undashed. */
export function normaliseEventId(v: unknown, fallback: () => string): string {
  const s = typeof v === "string" ? v.replace(/-/g, "").toLowerCase() : "";
  return HEX32.test(s) ? s : fallback();
}

function levelOf(v: unknown): ReportLevel {
  const s = typeof v === "string" ? v.toLowerCase() : "";
  if (s === "warn") return "warning";
  if (s === "critical") return "fatal";
  if (s === "log") return "info";
  return (REPORT_LEVELS as readonly string[]).includes(s) ? (s as ReportLevel) : "error";
}

function timestampOf(v: unknown, now: number): number {
  if (typeof v === "number" && Number.isFinite(v)) return Math.round(v * 1000);
  if (typeof v === "string") {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return now;
}

function framesOf(stacktrace: unknown): Frame[] {
  const frames = obj(stacktrace)?.frames;
  if (!Array.isArray(frames)) return [];
  return frames.slice(-250).map((f) => {
    const o = obj(f) ?? {};
    return {
      filename: str(o.filename ?? o.abs_path ?? o.module, 500),
      function: str(o.function, 300),
      lineno: num(o.lineno),
      colno: num(o.colno),
      inApp: o.in_app === true,
    };
  });
}

function messageOf(e: Record<string, unknown>): string {
  const m = e.message ?? e.logentry;
  if (typeof m === "string") return m.slice(0, 8000);
  const o = obj(m);
  return str(o?.formatted ?? o?.message, 8000) ?? "";
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  // tags come as an object or as [key, value] pairs
  const entries = Array.isArray(v)
    ? v.filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length === 2)
    : Object.entries(obj(v) ?? {});
  for (const [k, val] of entries.slice(0, 100)) {
    const key = str(k, 200);
    const value = str(val, 500);
    if (key && value !== null) out[key] = value;
  }
  return out;
}

/** A Sentry event payload (store endpoint or envelope `event` item), read defensively. */
export function parseSentryEvent(raw: unknown, now: number, newEventId: () => string): ReportEvent {
  const e = obj(raw) ?? {};
  const values = obj(e.exception)?.values ?? e.exception;
  const exceptions = (Array.isArray(values) ? values : []).slice(-10).map((x) => {
    const o = obj(x) ?? {};
    return {
      type: str(o.type, 200) ?? "Error",
      value: str(o.value, 8000) ?? "",
      frames: framesOf(o.stacktrace),
    };
  });
  const user = obj(e.user);
  const request = obj(e.request);
  const sdk = obj(e.sdk);
  const fp = Array.isArray(e.fingerprint)
    ? e.fingerprint.map((x) => str(x, 200)).filter((x): x is string => x !== null)
    : null;
  return {
    eventId: normaliseEventId(e.event_id, newEventId),
    timestamp: timestampOf(e.timestamp, now),
    level: levelOf(e.level),
    message: messageOf(e),
    exceptions,
    release: str(e.release, 200),
    environment: str(e.environment, 64),
    tags: stringMap(e.tags),
    user: user
      ? {
          id: str(user.id, 200) ?? undefined,
          email: str(user.email, 200) ?? undefined,
          username: str(user.username, 200) ?? undefined,
          ip: str(user.ip_address, 64) ?? undefined,
        }
      : null,
    url: str(request?.url, 2000),
    sdk: sdk ? `${str(sdk.name, 100) ?? "unknown"}/${str(sdk.version, 50) ?? "?"}` : null,
    fingerprint: fp && fp.length > 0 ? fp.slice(0, 20) : null,
    transaction: str(e.transaction ?? e.culprit, 300),
  };
}

/**
 * Takes the variable parts out of a message so that "User 42 not found" and
 * "User 97 not found" group together: UUIDs, hex ids, e-mails, URLs, numbers.
 */
export function normaliseMessage(message: string): string {
  return message
    .slice(0, 1000)
    .replace(/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g, "<email>")
    .replace(/\bhttps?:\/\/\S+/g, "<url>")
    .replace(/\b(0x)?[0-9a-f]*\d[0-9a-f]*\b/gi, (m) =>
      m.length >= 8 && /[a-f]/i.test(m) ? "<hex>" : m,
    )
    .replace(/\d+(\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim();
}

/** A file name without origin, query or content hash: bundles renamed per build still match. */
export function normaliseFilename(name: string | null): string {
  if (!name) return "?";
  return name
    .replace(/^[a-z]+:\/\/[^/]+/i, "")
    .replace(/[?#].*$/, "")
    .replace(/[.-][0-9a-f]{6,}(?=\.\w+$)/i, "");
}

/** The frames that say where it happened: in-app ones when there are any. */
export function topFrames(frames: readonly Frame[], n = 3): Frame[] {
  const inApp = frames.filter((f) => f.inApp);
  return (inApp.length > 0 ? inApp : frames).slice(-n).reverse();
}

/** The exception a group is about: the one caught, last of the chain. */
export const mainException = (e: ReportEvent): ExceptionInfo | undefined => e.exceptions.at(-1);

/** The default grouping components (see docs/ERRORS.md). */
export function defaultComponents(e: ReportEvent): string[] {
  const ex = mainException(e);
  if (!ex) return ["message", normaliseMessage(e.message)];
  const frames = topFrames(ex.frames).map(
    (f) => `${normaliseFilename(f.filename)}:${f.function ?? `line ${f.lineno ?? "?"}`}`,
  );
  // with no frames at all, the message must carry the grouping on its own
  return ["exception", ex.type, normaliseMessage(ex.value), ...frames];
}

const DEFAULT_TOKEN = /^\{\{\s*default\s*\}\}$/;

/** The components an event groups by: its fingerprint (with `{{ default }}` expanded) or the default. */
export function groupingComponents(e: ReportEvent): string[] {
  if (!e.fingerprint) return defaultComponents(e);
  return e.fingerprint.flatMap((part) =>
    DEFAULT_TOKEN.test(part) ? defaultComponents(e) : [`fp:${part}`],
  );
}

export function groupingKey(e: ReportEvent): string {
  return createHash("sha256")
    .update(JSON.stringify(groupingComponents(e)))
    .digest("hex");
}

/** A group's title and culprit, from the event that opened it. */
export function describe(e: ReportEvent): { title: string; culprit: string } {
  const ex = mainException(e);
  const title = ex ? (ex.value ? `${ex.type}: ${ex.value}` : ex.type) : e.message || "(no message)";
  const top = ex ? topFrames(ex.frames, 1)[0] : undefined;
  const culprit = top
    ? `${top.function ?? "?"} (${normaliseFilename(top.filename)})`
    : (e.transaction ?? e.url ?? "");
  return { title: title.slice(0, 300), culprit: culprit.slice(0, 300) };
}

/** Who was affected: a stable key for counting distinct users. */
export function userKey(e: ReportEvent): string | null {
  const u = e.user;
  if (!u) return null;
  const id = u.id ?? u.email ?? u.username ?? u.ip;
  return id ? createHash("sha256").update(id).digest("hex").slice(0, 32) : null;
}

/** What a release string names: a Berth deployment id and/or a commit (see BERTH_RELEASE). */
export function releaseRefs(release: string): {
  deploymentId: string | null;
  commit: string | null;
} {
  const deploymentId = /\b(\d[0-9a-hjkmnp-tv-z]{25})\b/.exec(release)?.[1] ?? null;
  const commit =
    release
      .split(/[@+:\s/]/)
      .find((part) => /^[0-9a-f]{7,40}$/i.test(part) && part !== deploymentId)
      ?.toLowerCase() ?? null;
  return { deploymentId, commit };
}

/** `<deployment id>@<commit>`: what Berth puts in BERTH_RELEASE (either part may be absent). */
export const berthRelease = (deploymentId: string | null, commit: string | null) =>
  [deploymentId, commit].filter(Boolean).join("@");

export type ErrorGroup = {
  id: number;
  serviceId: number;
  key: string;
  title: string;
  culprit: string;
  level: ReportLevel;
  status: GroupStatus;
  regressed: boolean;
  count: number;
  users: number;
  environments: string[];
  firstRelease: string | null;
  lastRelease: string | null;
  firstSeen: number;
  lastSeen: number;
  resolvedAt: number | null;
};

export type StoredEvent = {
  id: number;
  groupId: number;
  eventId: string;
  receivedAt: number;
  event: ReportEvent;
};

export type GroupFilter = {
  status?: GroupStatus;
  environment?: string;
  release?: string;
  q?: string;
};
