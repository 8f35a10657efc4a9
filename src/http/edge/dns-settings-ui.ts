import type { Context } from "hono";
import { DomainError } from "../../domain/errors.ts";
import { checkDnsSettings, type DnsCheckResult, dnsTarget } from "../../services/edge/dns.ts";
import {
  DEFAULT_DNS_TTL,
  type DnsSettingsView,
  dnsSettingsView,
  getDnsSettings,
  saveDnsSettings,
  TSIG_ALGORITHMS,
} from "../../services/edge/dns-settings.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { type FieldErrors, readForm, type Ui } from "../ui-shared.ts";

const PROVIDERS = [
  { value: "none", label: "None", hint: "You manage DNS records yourself." },
  { value: "cloudflare", label: "Cloudflare", hint: "Through the Cloudflare API with a token." },
  {
    value: "rfc2136",
    label: "RFC 2136 (BIND, Knot, PowerDNS)",
    hint: "Dynamic updates signed with a TSIG key.",
  },
];

/** What the form shows: never a secret, only whether one is saved. */
type FormValues = {
  provider: string;
  cloudflare: { proxied: boolean };
  rfc2136: { server: string; zone: string; keyName: string; keyAlgorithm: string; ttl: string };
};

function valuesOf(view: DnsSettingsView): FormValues {
  return {
    provider: view.provider,
    cloudflare: { proxied: view.cloudflare?.proxied ?? false },
    rfc2136: {
      server: view.rfc2136?.server ?? "",
      zone: view.rfc2136?.zone ?? "",
      keyName: view.rfc2136?.keyName ?? "",
      keyAlgorithm: view.rfc2136?.keyAlgorithm ?? "hmac-sha256",
      ttl: String(view.rfc2136?.ttl ?? DEFAULT_DNS_TTL),
    },
  };
}

/** The submitted form as the settings input: only the chosen provider's fields count. */
function fromForm(f: Record<string, string>): { input: unknown; values: FormValues } {
  const values: FormValues = {
    provider: f.provider ?? "none",
    cloudflare: { proxied: f["cloudflare.proxied"] === "on" },
    rfc2136: {
      server: f["rfc2136.server"] ?? "",
      zone: f["rfc2136.zone"] ?? "",
      keyName: f["rfc2136.keyName"] ?? "",
      keyAlgorithm: f["rfc2136.keyAlgorithm"] ?? "hmac-sha256",
      ttl: f["rfc2136.ttl"] ?? "",
    },
  };
  const input: Record<string, unknown> = { provider: values.provider };
  if (values.provider === "cloudflare") {
    input.cloudflare = {
      apiToken: f["cloudflare.apiToken"] ?? "",
      proxied: values.cloudflare.proxied,
    };
  }
  if (values.provider === "rfc2136") {
    const { ttl, ...rest } = values.rfc2136;
    input.rfc2136 = {
      ...rest,
      keySecret: f["rfc2136.keySecret"] ?? "",
      ttl: ttl === "" ? undefined : Number(ttl),
    };
  }
  return { input, values };
}

/** The Settings page: DNS provider today. */
export function uiSettings(ui: Ui, h: HttpDeps): void {
  const { deps } = h;

  const page = (
    c: Context<Env>,
    extra: {
      values?: FormValues;
      errors?: FieldErrors;
      saved?: boolean;
      check?: DnsCheckResult | null;
    } = {},
    status: 200 | 422 = 200,
    partial = "partials/settings/_dns.njk",
  ) => {
    const dns = dnsSettingsView(getDnsSettings(deps));
    const target = dnsTarget(deps);
    return render(c, {
      page: "pages/settings/show.njk",
      partial,
      ctx: {
        title: "Settings",
        nav: "settings",
        dns,
        form: extra.values ?? valuesOf(dns),
        providers: PROVIDERS,
        algorithms: TSIG_ALGORITHMS,
        target,
        hasTarget: Boolean(target.cname || target.ipv4 || target.ipv6),
        errors: extra.errors ?? {},
        saved: extra.saved ?? false,
        check: extra.check ?? null,
      },
      status,
    });
  };

  ui.get("/settings", guard("settings.manage"), (c) => page(c));

  ui.post("/settings/dns", guard("settings.manage"), async (c) => {
    const { input, values } = fromForm(await readForm(c));
    try {
      saveDnsSettings(deps, input);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return page(c, { values, errors: { [err.field ?? "form"]: err.message } }, 422);
    }
    return page(c, { saved: true });
  });

  // htmx swaps only the result, so what was typed (secrets too) stays in the form
  ui.post("/settings/dns/check", guard("settings.manage"), async (c) => {
    const { input, values } = fromForm(await readForm(c));
    const partial = "partials/settings/_check.njk";
    try {
      return page(c, { values, check: await checkDnsSettings(deps, input) }, 200, partial);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const check = { ok: false, provider: getDnsSettings(deps).provider, message: err.message };
      const errors = { [err.field ?? "form"]: err.message };
      return page(c, { values, errors, check }, 422, partial);
    }
  });
}
