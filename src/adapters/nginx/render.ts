import path from "node:path";
import nunjucks from "nunjucks";
import { isServerName } from "../../domain/edge/hostnames.ts";
import { DomainError } from "../../domain/errors.ts";
import { ID_PATTERN } from "../../domain/ids.ts";
import { NAME_PATTERN } from "../../domain/names.ts";

const templatesDir = path.resolve(import.meta.dirname, "../../../nginx-templates");

// autoescape off: this is nginx syntax, not HTML. Safety comes from validating every value
// before it reaches a template (below), never from escaping.
const templates = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir), {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: true,
  lstripBlocks: true,
});

export type CertFiles = { fullchain: string; key: string };

/** One environment's vhost: the names it answers to and where its files are. */
export type VhostInput = {
  service: string;
  environment: string;
  generation: number;
  /** `<data>/sites/<service>/<env>/current`: a release switch needs no reload. */
  root: string;
  acmeWebroot: string;
  spaFallback: boolean;
  /** Every HTTP listen address ("80", "[::]:80"); the first decides the port in redirects. */
  listen: readonly string[];
  /** Every HTTPS listen address, likewise. */
  listenTls: readonly string[];
  /** The environment's site label first, then its custom domains. */
  names: { name: string; cert: CertFiles | null }[];
  /** www.<host> → <host>, with the certificate covering www.<host> when there is one. */
  redirects: { from: string; to: string; cert: CertFiles | null }[];
  /** Where nginx logs this environment's requests (combined format) for the usage graphs. */
  usageLog?: string;
};

/** One service's preview server: every environment's releases directory. */
export type PreviewsInput = {
  service: string;
  baseDomain: string;
  listen: readonly string[];
  acmeWebroot: string;
  environments: { name: string; releasesDir: string; spaFallback: boolean }[];
};

/** A value refused before it reached nginx: a bug or tampering, never user input. */
export class UnsafeValue extends DomainError {
  constructor(what: string, value: unknown) {
    const shown = JSON.stringify(String(value)).slice(0, 120);
    super("unprocessable", "unsafe_nginx_value", `Refused to write ${what} ${shown} to nginx.`);
  }
}

const SAFE_PATH = /^\/[A-Za-z0-9._\-/+@=,%~:]*$/;
const LISTEN = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):)?(\d{1,5})$/;

function name(what: string, value: string): string {
  if (typeof value !== "string" || !NAME_PATTERN.test(value)) throw new UnsafeValue(what, value);
  return value;
}

function serverName(value: string): string {
  if (typeof value !== "string" || !isServerName(value)) {
    throw new UnsafeValue("the server name", value);
  }
  return value;
}

/** Absolute, normalized, and free of whitespace, quotes, ";", "{}", "$", "#" and "\". */
function safePath(what: string, value: string): string {
  if (
    typeof value !== "string" ||
    !SAFE_PATH.test(value) ||
    path.posix.normalize(value) !== value
  ) {
    throw new UnsafeValue(what, value);
  }
  return value;
}

/** The port of a listen value ("80", "127.0.0.1:8080", "[::]:443"). */
export function listenPort(what: string, value: string): number {
  const m = typeof value === "string" ? LISTEN.exec(value) : null;
  const port = Number(m?.[1]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new UnsafeValue(what, value);
  return port;
}

/** A non-empty list of listen values, each checked. */
function listens(what: string, values: readonly string[]): string[] {
  if (!Array.isArray(values) || values.length === 0) throw new UnsafeValue(what, values);
  return values.map((value) => {
    listenPort(what, value);
    return value;
  });
}

/** The port of the first listen value (redirects name it). */
function firstPort(what: string, values: readonly string[]): number {
  return listenPort(what, listens(what, values)[0] as string);
}

function generation(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new UnsafeValue("the generation", value);
  return String(value);
}

function cert(value: CertFiles | null): CertFiles | null {
  if (value === null) return null;
  return {
    fullchain: safePath("the certificate path", value.fullchain),
    key: safePath("the key path", value.key),
  };
}

const portSuffix = (port: number, standard: number) => (port === standard ? "" : `:${port}`);

/**
 * A URI whose file name carries a content hash (app.3f9a2c1d.js, index-BxK2f9aZ.css,
 * 8a1b2c3d4e5f6a7b.css): the same rule as isFingerprinted in
 * src/http/sites/content-types.ts, written as one PCRE for a map in berth.conf (and valid
 * as a JavaScript RegExp, so the two are tested against each other).
 */
const HEX = "(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}";
const B64 =
  "(?![0-9a-fA-F]{8}(?:\\.|$))(?=[A-Za-z0-9_-]{8}(?:\\.|$))" +
  "(?=(?:[A-Za-z0-9_-]*?(?:[0-9](?=[A-Za-z_-])|[A-Z](?=[a-z0-9_-])|[a-z](?=[A-Z0-9_-])|[-_](?=[A-Za-z0-9]))){3})" +
  "[A-Za-z0-9_-]{8}";
const TOKEN = `(?:${HEX}|${B64})`;
const HEX16 = "(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}";
// the stem is the name without its last extension; a name with no dot but a leading one
// (".a-3f9a2c1d") is all stem
export const FINGERPRINT_REGEX =
  `^.*/(?:[^/]*\\.${TOKEN}\\.[^/]*|[^/]*[-_]${TOKEN}\\.[^/]*|\\.?[^/.]*[-_]${TOKEN}|` +
  `\\.${TOKEN}|${HEX16}(?:\\.[^/]*)?)$`;

/** Where the maps every Berth vhost uses live (http level, so compiled once). */
export const COMMON_FILE = "berth.conf";

/** The text of `sites-available/berth.conf`. Pure. */
export function renderCommon(): string {
  return templates.render("berth.conf.njk", { fingerprint: FINGERPRINT_REGEX.slice(1) });
}

/** The text of `sites-available/berth-<service>--<env>.conf`. Pure. */
export function renderVhost(input: VhostInput): string {
  const names = input.names.map((n) => ({ name: serverName(n.name), cert: cert(n.cert) }));
  if (names.length === 0) throw new UnsafeValue("an empty server_name list", "");
  const httpsPort = portSuffix(firstPort("the TLS listen address", input.listenTls), 443);
  const httpPort = portSuffix(firstPort("the listen address", input.listen), 80);
  const byName = new Map(names.map((n) => [n.name, n]));
  const redirects = input.redirects.map((r) => {
    const to = byName.get(serverName(r.to));
    if (!to) throw new UnsafeValue("a redirect to a name the vhost does not serve", r.to);
    const tls = cert(r.cert);
    return {
      from: serverName(r.from),
      to: to.name,
      tls,
      target: to.cert ? `https://${to.name}${httpsPort}` : `http://${to.name}${httpPort}`,
    };
  });
  const all = [...names.map((n) => n.name), ...redirects.map((r) => r.from)];
  if (new Set(all).size !== all.length) throw new UnsafeValue("a repeated server name", all);
  return templates.render("vhost.conf.njk", {
    service: name("the service name", input.service),
    environment: name("the environment name", input.environment),
    generation: generation(input.generation),
    root: safePath("the document root", input.root),
    spa: input.spaFallback === true,
    listen: listens("the listen address", input.listen),
    listenTls: listens("the TLS listen address", input.listenTls),
    httpsPort,
    plainNames: names.filter((n) => !n.cert).map((n) => n.name),
    secureNames: names.filter((n) => n.cert).map((n) => n.name),
    tls: names.flatMap((n) => (n.cert ? [{ name: n.name, ...n.cert }] : [])),
    redirects,
    acmeWebroot: safePath("the ACME webroot", input.acmeWebroot),
    common: {
      generation: generation(input.generation),
      acmeWebroot: safePath("the ACME webroot", input.acmeWebroot),
      usageLog: input.usageLog ? safePath("the usage log", input.usageLog) : "",
    },
  });
}

/** The text of `sites-available/berth-<service>.previews.conf`. Pure. */
export function renderPreviews(input: PreviewsInput): string {
  const base = serverName(input.baseDomain);
  return templates.render("previews.conf.njk", {
    service: name("the service name", input.service),
    serviceRegex: input.service,
    baseDomain: base,
    baseRegex: base.replaceAll(".", "\\."),
    idPattern: ID_PATTERN.source.replace(/^\^/, "").replace(/\$$/, ""),
    listen: listens("the listen address", input.listen),
    environments: input.environments.map((e) => ({
      name: name("the environment name", e.name),
      releasesDir: safePath("the releases directory", e.releasesDir),
      spa: e.spaFallback === true,
    })),
    common: { generation: "", acmeWebroot: safePath("the ACME webroot", input.acmeWebroot) },
  });
}

/** Where Berth keeps an environment's vhost; names never hold "--", so this is unambiguous. */
export function vhostFileName(service: string, environment: string): string {
  return `berth-${name("the service name", service)}--${name("the environment name", environment)}.conf`;
}

/** The preview server of a service: "." never appears in names, so no environment collides. */
export function previewsFileName(service: string): string {
  return `berth-${name("the service name", service)}.previews.conf`;
}

/** Whether a file in sites-available/sites-enabled belongs to `service`. */
export function isServiceFile(service: string, file: string): boolean {
  return file === previewsFileName(service) || file.startsWith(`berth-${service}--`);
}
