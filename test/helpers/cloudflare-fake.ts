import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isIPv4, isIPv6 } from "node:net";

/**
 * A local stand-in for the Cloudflare API v4, close enough to its documented contract
 * that the official SDK talks to it unchanged: the envelope (success, errors, messages,
 * result, result_info), page/per_page pagination, the zone list, DNS record
 * list/create/edit/overwrite/delete, and the error codes Berth relies on.
 */

export type FakeRecord = {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  proxied: boolean;
  proxiable: boolean;
  ttl: number;
  comment: string | null;
  tags: string[];
  meta: Record<string, unknown>;
  settings: Record<string, unknown>;
  created_on: string;
  modified_on: string;
};

export type FakeRequest = {
  method: string;
  path: string;
  query: string;
  at: number;
  status: number;
};

/** A failure the next matching request gets instead of its normal answer. */
export type Injected = {
  status: number;
  /** Sent as the Retry-After header. */
  retryAfter?: string;
  code?: number;
  message?: string;
  method?: string;
  path?: RegExp;
};

export type CloudflareFake = {
  /** Give this to the SDK as baseURL. */
  baseUrl: string;
  token: string;
  requests: FakeRequest[];
  /** Requests that change something (POST, PATCH, PUT, DELETE), injected failures included. */
  writes: () => FakeRequest[];
  clearLog: () => void;
  addZone: (name: string) => string;
  addRecord: (r: {
    type: string;
    name: string;
    content: string;
    proxied?: boolean;
    ttl?: number;
  }) => FakeRecord;
  records: (name?: string) => FakeRecord[];
  deleteRecord: (id: string) => void;
  inject: (...failures: Injected[]) => void;
  /** Runs before each request is handled: a test can change the data "behind Berth's back". */
  before: ((req: { method: string; path: string }) => void) | null;
  close: () => Promise<void>;
};

type Zone = { id: string; name: string; status: string };

const id = () => randomBytes(16).toString("hex");
const PROXIABLE = new Set(["A", "AAAA", "CNAME"]);
const ADDRESS_TYPES = new Set(["A", "AAAA"]);

const envelope = (result: unknown, extra: object = {}) => ({
  success: true,
  errors: [],
  messages: [],
  result,
  ...extra,
});
const failure = (code: number, message: string) => ({
  success: false,
  errors: [{ code, message }],
  messages: [],
  result: null,
});

class Failure extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function page<T>(items: T[], q: URLSearchParams, perPageDefault: number, perPageMax: number) {
  const perPage = Math.min(
    Number(q.get("per_page") ?? perPageDefault) || perPageDefault,
    perPageMax,
  );
  const p = Math.max(1, Number(q.get("page") ?? 1) || 1);
  const slice = items.slice((p - 1) * perPage, p * perPage);
  return envelope(slice, {
    result_info: {
      page: p,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  });
}

export async function startCloudflareFake(
  token = "test-token-0123456789",
): Promise<CloudflareFake> {
  const zones: Zone[] = [];
  const records: FakeRecord[] = [];
  const injected: Injected[] = [];
  const requests: FakeRequest[] = [];

  const zoneOf = (name: string) =>
    zones
      .filter((z) => name === z.name || name.endsWith(`.${z.name}`))
      .sort((a, b) => b.name.length - a.name.length)[0];

  function validate(zone: Zone, r: Partial<FakeRecord>, self?: FakeRecord) {
    const name = String(r.name ?? "")
      .toLowerCase()
      .replace(/\.$/, "");
    const type = String(r.type ?? "");
    const content = String(r.content ?? "");
    if (!name || !type) throw new Failure(400, 9000, "DNS name and type are required.");
    if (!(name === zone.name || name.endsWith(`.${zone.name}`)))
      throw new Failure(400, 1004, "DNS Validation Error: the name is outside the zone.");
    if (type === "A" && !isIPv4(content))
      throw new Failure(400, 9005, "Content for A record is invalid. Must be a valid IPv4 address");
    if (type === "AAAA" && !isIPv6(content))
      throw new Failure(
        400,
        9006,
        "Content for AAAA record is invalid. Must be a valid IPv6 address",
      );
    const ttl = Number(r.ttl ?? 1);
    if (ttl !== 1 && (ttl < 30 || ttl > 86400))
      throw new Failure(400, 9021, "Invalid TTL. Must be between 30 and 86400 or 1 for automatic.");
    if (r.proxied && !PROXIABLE.has(type))
      throw new Failure(400, 9004, "This record type cannot be proxied.");
    const others = records.filter((x) => x.zone_id === zone.id && x.name === name && x !== self);
    if (others.some((x) => x.type === type && x.content.toLowerCase() === content.toLowerCase()))
      throw new Failure(400, 81058, "An identical record already exists.");
    if (type === "CNAME" && others.some((x) => x.type === "CNAME"))
      throw new Failure(400, 81057, "Record already exists.");
    if (
      (type === "CNAME" && others.some((x) => ADDRESS_TYPES.has(x.type))) ||
      (ADDRESS_TYPES.has(type) && others.some((x) => x.type === "CNAME"))
    )
      throw new Failure(400, 81053, "An A, AAAA, or CNAME record with that host already exists.");
    return { name, type, content, ttl: r.proxied ? 1 : ttl, proxied: Boolean(r.proxied) };
  }

  function handle(
    method: string,
    url: URL,
    body: Record<string, unknown>,
  ): { status: number; body: unknown } {
    const q = url.searchParams;
    const parts = url.pathname
      .replace(/^\/client\/v4\/?/, "")
      .split("/")
      .filter(Boolean);
    if (parts[0] !== "zones") throw new Failure(404, 7000, "No route for that URI");
    if (parts.length === 1 && method === "GET") {
      const name = q.get("name");
      return {
        status: 200,
        body: page(
          zones.filter((z) => !name || z.name === name),
          q,
          20,
          50,
        ),
      };
    }
    const zone = zones.find((z) => z.id === parts[1]);
    if (!zone)
      throw new Failure(
        404,
        7003,
        `Could not route to /zones/${parts[1]}, perhaps your object identifier is invalid?`,
      );
    if (parts[2] !== "dns_records") throw new Failure(404, 7000, "No route for that URI");
    const recordId = parts[3];
    if (!recordId && method === "GET") {
      const name = (q.get("name.exact") ?? q.get("name"))?.toLowerCase();
      const type = q.get("type");
      const items = records.filter(
        (r) => r.zone_id === zone.id && (!name || r.name === name) && (!type || r.type === type),
      );
      return { status: 200, body: page(items, q, 100, 5000) };
    }
    if (!recordId && method === "POST") {
      const v = validate(zone, body as Partial<FakeRecord>);
      const now = new Date().toISOString();
      const r: FakeRecord = {
        id: id(),
        zone_id: zone.id,
        zone_name: zone.name,
        ...v,
        proxiable: PROXIABLE.has(v.type),
        comment: (body.comment as string) ?? null,
        tags: [],
        meta: {},
        settings: {},
        created_on: now,
        modified_on: now,
      };
      records.push(r);
      return { status: 200, body: envelope(r) };
    }
    const existing = records.find((r) => r.zone_id === zone.id && r.id === recordId);
    if (!existing) throw new Failure(404, 81044, "Record does not exist.");
    if (method === "GET") return { status: 200, body: envelope(existing) };
    if (method === "DELETE") {
      records.splice(records.indexOf(existing), 1);
      return { status: 200, body: envelope({ id: existing.id }) };
    }
    if (method === "PATCH" || method === "PUT") {
      const merged = method === "PATCH" ? { ...existing, ...body } : { ...body };
      Object.assign(existing, validate(zone, merged, existing), {
        modified_on: new Date().toISOString(),
      });
      return { status: 200, body: envelope(existing) };
    }
    throw new Failure(405, 10405, "Method not allowed");
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const method = req.method ?? "GET";
      const entry: FakeRequest = {
        method,
        path: url.pathname,
        query: url.search,
        at: Date.now(),
        status: 0,
      };
      requests.push(entry);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        entry.status = status;
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, failure(10000, "Authentication error"));
      const i = injected.findIndex(
        (f) => (!f.method || f.method === method) && (!f.path || f.path.test(url.pathname)),
      );
      if (i >= 0) {
        const [f] = injected.splice(i, 1) as [Injected];
        const code = f.code ?? (f.status === 429 ? 971 : 10002);
        const message =
          f.message ??
          (f.status === 429
            ? "Please wait and consider throttling your request speed"
            : "Internal server error");
        return send(
          f.status,
          failure(code, message),
          f.retryAfter ? { "retry-after": f.retryAfter } : {},
        );
      }
      try {
        fake.before?.({ method, path: url.pathname });
        const body = chunks.length
          ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
          : {};
        const out = handle(method, url, body);
        send(out.status, out.body);
      } catch (err) {
        if (err instanceof Failure) return send(err.status, failure(err.code, err.message));
        send(500, failure(10002, String(err)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: CloudflareFake = {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    token,
    requests,
    writes: () => requests.filter((r) => r.method !== "GET"),
    clearLog: () => {
      requests.length = 0;
    },
    addZone(name) {
      const zone = { id: id(), name, status: "active" };
      zones.push(zone);
      return zone.id;
    },
    addRecord(r) {
      const zone = zoneOf(r.name);
      if (!zone) throw new Error(`no zone for ${r.name}`);
      const now = new Date().toISOString();
      const record: FakeRecord = {
        id: id(),
        zone_id: zone.id,
        zone_name: zone.name,
        name: r.name,
        type: r.type,
        content: r.content,
        proxied: r.proxied ?? false,
        proxiable: PROXIABLE.has(r.type),
        ttl: r.ttl ?? 1,
        comment: null,
        tags: [],
        meta: {},
        settings: {},
        created_on: now,
        modified_on: now,
      };
      records.push(record);
      return record;
    },
    records: (name) => records.filter((r) => !name || r.name === name),
    deleteRecord(recordId) {
      const i = records.findIndex((r) => r.id === recordId);
      if (i >= 0) records.splice(i, 1);
    },
    inject: (...failures) => {
      injected.push(...failures);
    },
    before: null,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
