import { createCertificatesRepo } from "../../db/edge/certificates-repo.ts";
import { certificateDue } from "../../domain/edge/certificates.ts";
import { requestCertificate } from "./certificate-request.ts";
import type { EdgeDeps } from "./deps.ts";

const STOP_WAIT_MS = 5_000;

/**
 * Every intervalMs (and once at start), requests certificates for domains that have none,
 * expire within 30 days, or failed and are due again: one at a time, and a tick never
 * starts while the previous one runs. Only in nginx mode: embedded serving has no TLS.
 * The returned stop waits (a little) for the request under way.
 */
export function startCertificateScheduler(
  deps: EdgeDeps,
  opts: { intervalMs: number },
): () => Promise<void> {
  if (deps.edge.mode !== "nginx") return async () => {};
  const repo = createCertificatesRepo(deps.db);
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    for (const domain of repo.all()) {
      if (stopped) return;
      // re-read: an earlier request in this tick, or the API, may have changed the row
      const fresh = repo.byId(domain.id);
      if (fresh && certificateDue(fresh, Date.now())) await requestCertificate(deps, fresh.id);
      // notifications: a certificate still close to expiry after its renewal try
      const after = repo.byId(domain.id);
      if (after?.certExpiresAt)
        warnExpiring(after.hostname, after.environmentId, after.certExpiresAt);
    }
  };
  const warned = new Map<string, number>();
  const warnExpiring = (host: string, environmentId: number, expiresAt: number) => {
    const now = Date.now();
    const daysLeft = Math.floor((expiresAt - now) / 86_400_000);
    if (daysLeft > 14 || now - (warned.get(host) ?? 0) < 86_400_000) return;
    warned.set(host, now);
    const env = deps.repos.environments.byId(environmentId);
    const service = env ? (deps.repos.services.byId(env.serviceId)?.name ?? null) : null;
    deps.events.emit("certificate.expiring", {
      host,
      service,
      environment: env?.name ?? null,
      daysLeft,
    });
  };
  const schedule = (delay: number) => {
    timer = setTimeout(() => {
      running = tick()
        .catch((err: unknown) => deps.logger.error({ err }, "certificate scheduler tick failed"))
        .finally(() => {
          if (!stopped) schedule(opts.intervalMs);
        });
    }, delay);
    timer.unref();
  };
  schedule(0);

  return async () => {
    stopped = true;
    clearTimeout(timer);
    // a request cut off here is simply pending again at the next start
    await Promise.race([running, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
  };
}
