import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { dnsLookup } from "../../adapters/dns/lookup.ts";
import { notFound } from "../../domain/errors.ts";
import type { Domain } from "../../domain/releases/types.ts";
import type { Deps } from "../../services/core/deps.ts";
import { retryCertificate } from "../../services/edge/certificate-request.ts";
import { dnsTarget } from "../../services/edge/dns.ts";
import { checkHandRecords, type HandCheck, handRecords } from "../../services/edge/dns-by-hand.ts";
import { addDomain, removeDomain } from "../../services/edge/domains.ts";
import { getEnvironment } from "../../services/releases/catalog.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { afterChange, attempt, type FieldErrors, readForm, type Ui } from "../ui-shared.ts";

export type DomainForm = {
  values: { hostname: string; wwwRedirect: string };
  errors: FieldErrors;
  added?: string;
  /** What "check now" found for a domain whose DNS is set by hand. */
  check?: { hostname: string; result: HandCheck };
};

/** Renders the environment page, or one partial of it (see ui-environments.ts). */
export type EnvPage = (
  c: Context<Env>,
  partial: string,
  opts?: { domainForm?: DomainForm; status?: ContentfulStatusCode },
) => Response;

const emptyForm = (): DomainForm => ({ values: { hostname: "", wwwRedirect: "" }, errors: {} });

const DNS_BADGE: Record<Domain["dnsStatus"], { tone: string; label: string }> = {
  ok: { tone: "live", label: "DNS ok" },
  pending: { tone: "queued", label: "DNS pending" },
  error: { tone: "failed", label: "DNS error" },
  none: { tone: "superseded", label: "DNS by hand" },
};
const CERT_BADGE: Record<Domain["certStatus"], { tone: string; label: string }> = {
  issued: { tone: "live", label: "TLS issued" },
  pending: { tone: "queued", label: "TLS pending" },
  error: { tone: "failed", label: "TLS error" },
  none: { tone: "superseded", label: "No TLS" },
};

/** What the Domains card shows: each domain with its address and status badges. */
export function domainsContext(deps: Deps, environmentId: number, form?: DomainForm) {
  const domains = deps.repos.domains.listForEnvironment(environmentId).map((d) => ({
    ...d,
    url: `${d.certStatus === "issued" ? "https" : "http"}://${d.hostname}`,
    dns: DNS_BADGE[d.dnsStatus],
    cert: CERT_BADGE[d.certStatus],
    // DNS by hand: the records to create, shown inline
    records: d.dnsStatus === "none" ? handRecords(dnsTarget(deps), d.hostname, d.wwwRedirect) : [],
  }));
  return { domains, domainForm: form ?? emptyForm(), edgeMode: deps.edge.mode };
}

/** The field a failed add belongs beside: the hostname, unless it is about something else. */
function fieldOf(err: { code: string; field?: string | undefined }): string {
  if (err.code === "domain_taken" || err.field === "hostname") return "hostname";
  return err.field === "wwwRedirect" ? "wwwRedirect" : "form";
}

export function uiDomains(ui: Ui, h: HttpDeps, envPage: EnvPage): void {
  const { deps } = h;
  const base = "/services/:service/environments/:env/domains";
  const here = (c: Context<Env>) =>
    `/services/${c.req.param("service")}/environments/${c.req.param("env")}`;
  const changed = (c: Context<Env>, form: DomainForm) =>
    afterChange(c, here(c), () => {
      c.header("HX-Trigger", JSON.stringify({ "env-changed": { target: "body" } }));
      return envPage(c, "_domains", { domainForm: form });
    });

  ui.get(base, guard("services.read", serviceParam), (c) => envPage(c, "_domains"));

  ui.post(base, guard("services.write", serviceParam), async (c) => {
    const form = await readForm(c);
    const values = { hostname: form.hostname ?? "", wwwRedirect: form.wwwRedirect ?? "" };
    const done = await attempt(
      () =>
        addDomain(deps, c.req.param("service"), c.req.param("env"), {
          hostname: values.hostname,
          wwwRedirect: values.wwwRedirect === "on",
        }),
      fieldOf,
    );
    if (!done.ok) {
      return envPage(c, "_domains", {
        domainForm: { values, errors: done.errors },
        status: statusFor(done.error),
      });
    }
    return changed(c, { ...emptyForm(), added: done.value.hostname });
  });

  // "try again now" for a certificate that failed (nginx mode): the request runs in the background
  ui.post(`${base}/:hostname/certificate`, guard("services.write", serviceParam), async (c) => {
    const done = await attempt(() =>
      retryCertificate(deps, c.req.param("service"), c.req.param("env"), c.req.param("hostname")),
    );
    if (!done.ok) {
      return envPage(c, "_domains", {
        domainForm: { ...emptyForm(), errors: { list: done.error.message } },
        status: statusFor(done.error),
      });
    }
    return changed(c, emptyForm());
  });

  // DNS by hand: resolve the records now and say what DNS answers
  ui.post(`${base}/:hostname/check`, guard("services.read", serviceParam), async (c) => {
    const { environment } = getEnvironment(deps, c.req.param("service"), c.req.param("env"));
    const domain = deps.repos.domains.byHostname(c.req.param("hostname"));
    if (domain?.environmentId !== environment.id) {
      throw notFound(
        "domain_not_found",
        `This environment has no domain ${c.req.param("hostname")}.`,
      );
    }
    const records = handRecords(dnsTarget(deps), domain.hostname, domain.wwwRedirect);
    const result = await checkHandRecords(h.dnsLookup ?? dnsLookup(), records);
    return envPage(c, "_domains", {
      domainForm: { ...emptyForm(), check: { hostname: domain.hostname, result } },
    });
  });

  ui.post(`${base}/:hostname/delete`, guard("services.write", serviceParam), async (c) => {
    const done = await attempt(() =>
      removeDomain(deps, c.req.param("service"), c.req.param("env"), c.req.param("hostname")),
    );
    if (!done.ok) {
      return envPage(c, "_domains", {
        domainForm: { ...emptyForm(), errors: { list: done.error.message } },
        status: statusFor(done.error),
      });
    }
    return changed(c, emptyForm());
  });
}
