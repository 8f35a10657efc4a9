import fs from "node:fs";
import { crypto as acmeCrypto, Client } from "acme-client";
import { loadAccountKey } from "./account.ts";
import { describeAcmeError, isLostNetworkError } from "./errors.ts";
import { probeAcmeServer, trustForAcmeServer } from "./trust.ts";
import { type CertificateIssuer, type IssuedCertificate, IssueError } from "./types.ts";
import { removeChallenge, writeChallenge } from "./webroot.ts";

export type AcmeIssuerOptions = {
  directoryUrl: string;
  /** Contact for expiry and policy mail from the CA; optional in ACME. */
  email: string | null;
  /** PEM file of an extra CA to trust for the ACME server's own HTTPS (Pebble, a private CA). */
  caFile: string | null;
  accountKeyFile: string;
  /** Served by nginx at /.well-known/acme-challenge/ on every Berth host. */
  webroot: string;
  /**
   * acme-client normally fetches each challenge URL itself (http://<name>:80, through the
   * system resolver) before telling the CA to check, to fail early without spending one
   * of the CA's failed-validation allowance. Tests turn it off: their names resolve only
   * in the CA's private DNS and nginx listens on a high port, so the self-check could
   * never pass there although the CA's own validation does.
   */
  skipChallengeVerification?: boolean;
  /**
   * Called once a challenge file is written, before the CA is asked to fetch it: a chance
   * to check that the web server really serves it. Throwing ends the issuance.
   */
  checkChallenge?: (name: string, token: string, keyAuthorization: string) => Promise<void>;
  /** The whole issuance, from order to download. */
  timeoutMs?: number;
};

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
// acme-client waits 5 s before its first status poll; CAs usually answer within one
const POLL = { backoffAttempts: 10, backoffMin: 1_000, backoffMax: 10_000 };

/** HTTP-01 issuance with acme-client: one account per data directory, one order per call. */
export function createAcmeIssuer(opts: AcmeIssuerOptions): CertificateIssuer {
  let client: Promise<Client> | null = null;
  const getClient = () => {
    client ??= (async () => {
      trustForAcmeServer(
        opts.directoryUrl,
        opts.caFile ? fs.readFileSync(opts.caFile, "utf8") : null,
      );
      const accountKey = await loadAccountKey(opts.accountKeyFile);
      return new Client({ directoryUrl: opts.directoryUrl, accountKey, ...POLL });
    })();
    client.catch(() => {
      client = null; // a missing CA file or unwritable key: try afresh next time
    });
    return client;
  };

  /** What was going on when an error came, to start its message. */
  type Phase = { doing: string };

  async function order(names: string[], progress: (m: string) => void, phase: Phase) {
    phase.doing = "Setting up the ACME account";
    const acme = await getClient();
    phase.doing = "Ordering the certificate";
    const [key, csr] = await acmeCrypto.createCsr(
      // a CN holds at most 64 characters; the names that count are the SANs anyway
      { ...(names[0] && names[0].length <= 64 ? { commonName: names[0] } : {}), altNames: names },
      await acmeCrypto.createPrivateEcdsaKey("P-256"),
    );
    progress(`Ordering a certificate for ${names.join(", ")} from ${opts.directoryUrl}.`);
    const fullchain = await acme.auto({
      csr,
      email: opts.email ?? undefined,
      termsOfServiceAgreed: true,
      challengePriority: ["http-01"],
      skipChallengeVerification: opts.skipChallengeVerification === true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== "http-01") throw new Error(`unexpected ${challenge.type} challenge`);
        const name = authz.identifier.value;
        phase.doing = `Publishing the HTTP-01 challenge for ${name}`;
        await writeChallenge(opts.webroot, challenge.token, keyAuthorization);
        if (opts.checkChallenge) {
          phase.doing = `Checking that ${name} serves its challenge`;
          await opts.checkChallenge(name, challenge.token, keyAuthorization);
        }
        progress(`Published the HTTP-01 challenge for ${name}; asking the CA to fetch it.`);
        phase.doing = `Validating ${names.join(", ")} by HTTP-01`;
      },
      challengeRemoveFn: async (_authz, challenge) => {
        await removeChallenge(opts.webroot, challenge.token);
      },
    });
    phase.doing = "Reading the certificate";
    const info = acmeCrypto.readCertificateInfo(fullchain);
    const issued: IssuedCertificate = {
      fullchain,
      key: key.toString(),
      names: [info.domains.commonName, ...info.domains.altNames].filter(
        (n, i, all) => n && all.indexOf(n) === i,
      ),
      issuer: info.issuer.commonName,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
    };
    return issued;
  }

  return {
    async issue(names, progress = () => {}) {
      if (names.length === 0) throw new IssueError("A certificate needs at least one name.");
      let timer: NodeJS.Timeout | undefined;
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new IssueError(
                `The ACME server did not finish within ${Math.round(timeoutMs / 1000)} s.`,
              ),
            ),
          timeoutMs,
        );
      });
      const phase: Phase = { doing: "Starting" };
      try {
        return await Promise.race([order(names, progress, phase), deadline]);
      } catch (err) {
        if (err instanceof IssueError) throw new IssueError(`${phase.doing}: ${err.message}`);
        const probe = isLostNetworkError(err) ? await probeAcmeServer(opts.directoryUrl) : null;
        const reason = describeAcmeError(
          err,
          opts.directoryUrl,
          probe && "code" in probe ? probe.code : undefined,
        );
        throw new IssueError(`${phase.doing}: ${reason}`, { cause: err });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
