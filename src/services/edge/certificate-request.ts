import { removeCertificate, storeCertificate } from "../../adapters/acme/store.ts";
import { type IssuedCertificate, IssueError } from "../../adapters/acme/types.ts";
import { writeTx } from "../../db/client.ts";
import { createCertificatesRepo } from "../../db/edge/certificates-repo.ts";
import { certificateNames, certificateRetryDelay } from "../../domain/edge/certificates.ts";
import { conflict, notFound } from "../../domain/errors.ts";
import type { Domain } from "../../domain/releases/types.ts";
import { getEnvironment } from "../releases/catalog.ts";
import { issuerFor } from "./certificates.ts";
import type { EdgeDeps } from "./deps.ts";
import { applyEnvironment } from "./edge.ts";

const inflight = new WeakMap<EdgeDeps, Map<number, Promise<Domain>>>();

/**
 * Gets (or renews) a domain's certificate by ACME and switches its vhost to HTTPS.
 * A failure is recorded on the row with a backoff, never thrown: the caller is a
 * scheduler or a background retry. A second call while one runs joins the first.
 */
export function requestCertificate(deps: EdgeDeps, domainId: number): Promise<Domain> {
  const running = inflight.get(deps) ?? new Map<number, Promise<Domain>>();
  inflight.set(deps, running);
  const current = running.get(domainId);
  if (current) return current;
  const task = issueAndApply(deps, domainId).finally(() => running.delete(domainId));
  running.set(domainId, task);
  return task;
}

/** The API's "retry now": marks the domain pending and starts a request in the background. */
export function retryCertificate(
  deps: EdgeDeps,
  serviceName: string,
  envName: string,
  hostname: string,
): Domain {
  const { environment } = getEnvironment(deps, serviceName, envName);
  const repo = createCertificatesRepo(deps.db);
  const domain = repo.inEnvironment(environment.id, hostname.toLowerCase());
  if (!domain) {
    throw notFound(
      "domain_not_found",
      `Environment "${envName}" of "${serviceName}" has no domain ${hostname}.`,
    );
  }
  if (deps.edge.mode !== "nginx") {
    throw conflict(
      "edge_not_nginx",
      "Certificates are issued only when nginx serves the sites (BERTH_EDGE=nginx).",
    );
  }
  if (!inflight.get(deps)?.has(domain.id)) {
    writeTx(deps.db, (tx) => repo.markPending(tx, domain.id, "Certificate requested."));
  }
  void requestCertificate(deps, domain.id).catch((err: unknown) =>
    deps.logger.error({ err, hostname: domain.hostname }, "certificate request crashed"),
  );
  return repo.byId(domain.id) ?? domain;
}

async function issueAndApply(deps: EdgeDeps, domainId: number): Promise<Domain> {
  const repo = createCertificatesRepo(deps.db);
  const domain = repo.byId(domainId);
  if (!domain) throw notFound("domain_not_found", `There is no domain ${domainId}.`);
  const { hostname, environmentId } = domain;
  const log = deps.logger.child({ hostname, environmentId });
  const note = (action: string, message: string) =>
    writeTx(deps.db, (tx) =>
      deps.repos.environments.addEvent(tx, { environmentId, action, message }),
    );
  const renewing = domain.certStatus === "issued" || domain.certExpiresAt !== null;

  writeTx(deps.db, (tx) => {
    repo.markPending(
      tx,
      domainId,
      renewing ? "Renewing the certificate." : "Requesting a certificate.",
    );
    deps.repos.environments.addEvent(tx, {
      environmentId,
      action: "certificate.requested",
      message: `${renewing ? "Renewing the certificate" : "Requesting a certificate"} for ${hostname}.`,
    });
  });

  let issued: IssuedCertificate;
  try {
    issued = await issuerFor(deps).issue(certificateNames(domain), (message) =>
      note("certificate.progress", message),
    );
    await storeCertificate(deps.layout.cert(hostname), issued);
  } catch (err) {
    return recordFailure(deps, domain, err);
  }
  log.info({ expiresAt: issued.notAfter }, "certificate issued");
  note(
    "certificate.issued",
    `Certificate for ${issued.names.join(", ")} issued by ${issued.issuer}, valid until ${issued.notAfter.toISOString()}.`,
  );

  // switch the vhost before the row says "issued", so that "issued" means HTTPS answers
  let applyError: string | null = null;
  try {
    await applyEnvironment(deps, environmentId);
  } catch (err) {
    // the certificate is good; the edge kept its previous vhost and logged why
    applyError = err instanceof Error ? err.message : String(err);
    log.error({ err }, "certificate issued but the vhost was not switched");
  }
  const kept = writeTx(deps.db, (tx) => {
    if (!repo.markIssued(tx, domainId, issued.notAfter.getTime())) return false;
    if (applyError)
      repo.setMessage(tx, domainId, `Issued, but nginx was not switched to HTTPS: ${applyError}`);
    deps.repos.environments.addEvent(tx, {
      environmentId,
      action: applyError ? "certificate.apply_failed" : "certificate.applied",
      message: applyError
        ? `Certificate for ${hostname} is stored, but nginx was not switched to HTTPS: ${applyError}`
        : `${hostname} is served over HTTPS; plain HTTP redirects to it.`,
    });
    return true;
  });
  if (!kept) {
    log.warn("domain removed while its certificate was being issued");
    await removeCertificate(deps.layout.cert(hostname));
    return domain;
  }
  return repo.byId(domainId) ?? domain;
}

function recordFailure(deps: EdgeDeps, domain: Domain, err: unknown): Domain {
  const repo = createCertificatesRepo(deps.db);
  const reason =
    err instanceof IssueError
      ? err.message
      : `Storing the certificate failed: ${err instanceof Error ? err.message : String(err)}`;
  const failures = domain.certFailures + 1;
  const nextAttemptAt = Date.now() + certificateRetryDelay(failures);
  const next = new Date(nextAttemptAt).toISOString();
  const still =
    domain.certExpiresAt !== null && domain.certExpiresAt > Date.now()
      ? ` The current certificate stays in service until ${new Date(domain.certExpiresAt).toISOString()}.`
      : "";
  deps.logger.warn(
    { err, hostname: domain.hostname, failures, nextAttemptAt: next },
    "certificate request failed",
  );
  writeTx(deps.db, (tx) => {
    repo.markFailed(tx, domain.id, { message: reason, failures, nextAttemptAt });
    deps.repos.environments.addEvent(tx, {
      environmentId: domain.environmentId,
      action: "certificate.failed",
      message: `Certificate for ${domain.hostname} failed (attempt ${failures}): ${reason} Next attempt at ${next}.${still}`,
    });
  });
  return repo.byId(domain.id) ?? domain;
}
