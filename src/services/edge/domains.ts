import { writeTx } from "../../db/client.ts";
import { assertHostname, wwwOf } from "../../domain/edge/hostnames.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import type { Domain } from "../../domain/releases/types.ts";
import { getEnvironment } from "../releases/catalog.ts";
import type { EdgeDeps } from "./deps.ts";
import { assertDnsFree, removeDomainDns, syncDomainDns } from "./dns.ts";
import { applyEnvironment } from "./edge.ts";

/** The custom domains of one environment, by hostname. */
export function listDomains(deps: EdgeDeps, service: string, env: string): Domain[] {
  const { environment } = getEnvironment(deps, service, env);
  return deps.repos.domains.listForEnvironment(environment.id);
}

/** Which row, if any, already answers to `name` (as a hostname or as its www redirect). */
function holderOf(deps: EdgeDeps, name: string): Domain | undefined {
  const direct = deps.repos.domains.byHostname(name);
  if (direct) return direct;
  if (!name.startsWith("www.")) return undefined;
  const bare = deps.repos.domains.byHostname(name.slice(4));
  return bare?.wwwRedirect ? bare : undefined;
}

/** Writes the DNS records of a new domain; the outcome goes on the row, never thrown. */
async function publishDns(deps: EdgeDeps, domain: Domain, takeOver: boolean): Promise<Domain> {
  const { status, message } = await syncDomainDns(deps, domain, { takeOver });
  return writeTx(deps.db, (tx) => {
    const row = deps.repos.domains.setDns(tx, domain.id, status, message);
    if (status === "error") {
      deps.repos.environments.addEvent(tx, {
        environmentId: domain.environmentId,
        action: "domain.dns_failed",
        message: `${domain.hostname}: ${message}`,
      });
    }
    return row;
  });
}

/**
 * Adds a custom domain: validate, insert, serve it (nginx mode: write, test, reload,
 * verify the vhost), then DNS. When the edge refuses, the row goes again and the error is
 * thrown, so nothing half-done stays; a DNS failure leaves the domain, marked and logged.
 */
export async function addDomain(
  deps: EdgeDeps,
  service: string,
  env: string,
  input: { hostname: string; wwwRedirect?: boolean; takeOver?: boolean },
): Promise<Domain> {
  const { environment } = getEnvironment(deps, service, env);
  const hostname = assertHostname(input.hostname, deps.baseDomain);
  const wwwRedirect = input.wwwRedirect === true;
  if (wwwRedirect) {
    if (hostname.startsWith("www.")) {
      throw unprocessable(
        "invalid_www_redirect",
        `"${hostname}" is already a www name: add the bare domain with the www redirect instead.`,
        "wwwRedirect",
      );
    }
    assertHostname(wwwOf(hostname), deps.baseDomain);
  }
  const takeOver = input.takeOver === true;
  await assertDnsFree(deps, { hostname, wwwRedirect }, takeOver);
  const domain = writeTx(deps.db, (tx) => {
    for (const name of wwwRedirect ? [hostname, wwwOf(hostname)] : [hostname]) {
      const holder = holderOf(deps, name);
      if (holder) {
        const here = holder.environmentId === environment.id;
        throw conflict(
          "domain_taken",
          here
            ? `"${name}" is already a domain of this environment.`
            : `"${name}" is already in use by another environment on this Berth.`,
        );
      }
    }
    return deps.repos.domains.insert(tx, {
      environmentId: environment.id,
      hostname,
      wwwRedirect,
      // nginx mode: the certificate scheduler picks it up (certificate-scheduler.ts)
      certStatus: deps.edge.mode === "nginx" ? "pending" : "none",
    });
  });
  try {
    await applyEnvironment(deps, environment.id);
  } catch (err) {
    writeTx(deps.db, (tx) => {
      deps.repos.domains.delete(tx, domain.id);
      deps.repos.environments.addEvent(tx, {
        environmentId: environment.id,
        action: "domain.failed",
        message: `${hostname} was not added: ${(err as Error).message}`,
      });
    });
    throw err;
  }
  const published = await publishDns(deps, domain, takeOver);
  writeTx(deps.db, (tx) =>
    deps.repos.environments.addEvent(tx, {
      environmentId: environment.id,
      action: "domain.added",
      message: `Domain ${hostname} added${wwwRedirect ? `, with www.${hostname} redirecting to it` : ""}.`,
    }),
  );
  return published;
}

/**
 * Removes a custom domain: the edge stops answering to it first (if nginx refuses, the
 * domain stays and the error is thrown), then its DNS records go; a DNS failure is logged.
 */
export async function removeDomain(
  deps: EdgeDeps,
  service: string,
  env: string,
  hostnameInput: string,
): Promise<void> {
  const { environment } = getEnvironment(deps, service, env);
  const hostname = hostnameInput.trim().toLowerCase().replace(/\.$/, "");
  const row = deps.repos.domains.byHostname(hostname);
  if (!row || row.environmentId !== environment.id) {
    throw notFound(
      "domain_not_found",
      `Environment "${env}" of "${service}" has no domain "${hostname}".`,
    );
  }
  writeTx(deps.db, (tx) => deps.repos.domains.delete(tx, row.id));
  try {
    await applyEnvironment(deps, environment.id);
  } catch (err) {
    writeTx(deps.db, (tx) => deps.repos.domains.reinsert(tx, row));
    throw err;
  }
  let dnsNote = "";
  if (row.dnsStatus === "ok" || row.dnsStatus === "error") {
    const removed = await removeDomainDns(deps, hostname, { wwwRedirect: row.wwwRedirect });
    if (removed.status === "error")
      dnsNote = ` Its DNS records could not be removed: ${removed.message}`;
  }
  writeTx(deps.db, (tx) => {
    deps.repos.environments.addEvent(tx, {
      environmentId: environment.id,
      action: "domain.removed",
      message: `Domain ${hostname} removed.${dnsNote}`,
    });
  });
}
