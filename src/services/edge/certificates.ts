import fs from "node:fs";
import path from "node:path";
import type { AcmeIssuerOptions } from "../../adapters/acme/issuer.ts";
import type { CertificateIssuer } from "../../adapters/acme/types.ts";
import { checkChallengeServed } from "./challenge-check.ts";
import type { EdgeDeps } from "./deps.ts";

/** The certificate files of a hostname, when one has been issued and is on disk. */
export function certificateFor(
  deps: EdgeDeps,
  hostname: string,
): { fullchain: string; key: string } | null {
  const files = deps.layout.cert(hostname);
  return fs.existsSync(files.fullchain) && fs.existsSync(files.key) ? files : null;
}

const issuers = new WeakMap<EdgeDeps, CertificateIssuer>();

/** The ACME issuer for this configuration, made once (it caches the account). */
export function issuerFor(deps: EdgeDeps): CertificateIssuer {
  let issuer = issuers.get(deps);
  if (!issuer) {
    const acme = deps.edge.acme;
    issuer = lazyAcmeIssuer({
      directoryUrl: acme.directoryUrl,
      email: acme.email,
      caFile: acme.caFile,
      // "_" never appears in a hostname, so this cannot collide with certs/<hostname>/
      accountKeyFile: path.join(deps.layout.certsDir, "_account.key"),
      webroot: deps.layout.acmeWebroot,
      skipChallengeVerification: acme.skipChallengeVerification === true,
      checkChallenge: (name, token, keyAuth) =>
        checkChallengeServed(deps.edge.nginx.listen, name, token, keyAuth),
    });
    issuers.set(deps, issuer);
  }
  return issuer;
}

/** The ACME issuer, acme-client (~14 MB of RSS) loaded on the first issuance only. */
function lazyAcmeIssuer(opts: AcmeIssuerOptions): CertificateIssuer {
  let issuer: Promise<CertificateIssuer> | undefined;
  return {
    issue: async (names, progress) => {
      issuer ??= import("../../adapters/acme/issuer.ts").then((m) => m.createAcmeIssuer(opts));
      return (await issuer).issue(names, progress);
    },
  };
}
