import fs from "node:fs/promises";
import { type ApplyOptions, applyFiles, type FileChange } from "../../adapters/nginx/apply.ts";
import { reloadArgv, testArgv } from "../../adapters/nginx/commands.ts";
import { GENERATION_HEADER, waitForGeneration } from "../../adapters/nginx/probe.ts";
import {
  COMMON_FILE,
  isServiceFile,
  previewsFileName,
  renderCommon,
  vhostFileName,
} from "../../adapters/nginx/render.ts";
import { runArgv } from "../../adapters/nginx/run.ts";
import { writeTx } from "../../db/client.ts";
import type { Environment, Service } from "../../domain/releases/types.ts";
import type { EdgeDeps } from "./deps.ts";
import { nextGenerations, previewsText, serverNames, siteHost, vhostText } from "./edge-files.ts";

/**
 * The edge in nginx mode: one vhost per environment, one preview server per service,
 * written from the database. Deploys and rollbacks never come here: the vhost's root is
 * the environment's `current` symlink.
 */

// nginx has one configuration: changes to it (and the reloads) happen one at a time
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(deps: EdgeDeps, work: () => Promise<T>): Promise<T> {
  const key = deps.edge.nginx.sitesEnabled;
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const tail = next.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}

const isNginx = (deps: EdgeDeps) => deps.edge.mode === "nginx";

function baseOptions(deps: EdgeDeps): Omit<ApplyOptions, "changes" | "serverNames" | "verify"> {
  const nginx = deps.edge.nginx;
  return {
    sitesAvailable: nginx.sitesAvailable,
    sitesEnabled: nginx.sitesEnabled,
    testArgv: testArgv(nginx),
    reloadArgv: reloadArgv(nginx),
    run: runArgv,
  };
}

/** Says in the environment's activity log why nginx kept its previous configuration. */
function recordFailure(deps: EdgeDeps, environmentIds: number[], err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  deps.logger.error({ err, environmentIds }, "nginx kept its previous configuration");
  const alive = environmentIds.filter((id) => deps.repos.environments.byId(id));
  if (alive.length === 0) return;
  writeTx(deps.db, (tx) => {
    for (const id of alive) {
      deps.repos.environments.addEvent(tx, {
        environmentId: id,
        action: "edge.failed",
        message: `nginx kept its previous configuration: ${message}`,
      });
    }
  });
}

async function applyMany(deps: EdgeDeps, environmentIds: number[]): Promise<void> {
  const next = nextGenerations(deps);
  const targets = environmentIds.flatMap((id) => {
    const env = deps.repos.environments.byId(id);
    const service = env && deps.repos.services.byId(env.serviceId);
    return env && service ? [{ env, service, generation: next() }] : [];
  });
  if (targets.length === 0) return;
  // the maps every vhost uses come first: written once, then only compared
  const changes: FileChange[] = [{ name: COMMON_FILE, content: renderCommon() }];
  const services = new Map(targets.map((t) => [t.service.id, t.service]));
  for (const t of targets) {
    changes.push({
      name: vhostFileName(t.service.name, t.env.name),
      content: vhostText(deps, t.service, t.env, t.generation),
    });
  }
  for (const service of services.values()) {
    changes.push({
      name: previewsFileName(service.name),
      content: previewsText(deps, service, deps.repos.environments.listForService(service.id)),
    });
  }
  const listen = deps.edge.nginx.listen;
  try {
    await applyFiles({
      ...baseOptions(deps),
      changes,
      serverNames: targets.flatMap((t) => serverNames(deps, t.service, t.env)),
      verify: async () => {
        for (const t of targets) {
          const want = String(t.generation);
          await waitForGeneration(
            listen,
            siteHost(deps, t.service.name, t.env.name),
            (seen) => seen === want,
            `${GENERATION_HEADER}: ${want}`,
          );
        }
      },
    });
  } catch (err) {
    recordFailure(
      deps,
      targets.map((t) => t.env.id),
      err,
    );
    throw err;
  }
  writeTx(deps.db, (tx) => {
    for (const t of targets) deps.repos.environments.setVhostGeneration(tx, t.env.id, t.generation);
  });
}

/**
 * Writes, tests, reloads and verifies the vhost of one environment (and its service's
 * preview server). A no-op in embedded mode. Throws an EdgeError, with nginx's words, when
 * nginx keeps its previous configuration; everything on disk is then as it was.
 */
export function applyEnvironment(deps: EdgeDeps, environmentId: number): Promise<void> {
  if (!isNginx(deps)) return Promise.resolve();
  return serialized(deps, () => applyMany(deps, [environmentId]));
}

/** The same for several environments at once: one nginx -t and one reload. */
export function applyEnvironments(deps: EdgeDeps, environmentIds: number[]): Promise<void> {
  if (!isNginx(deps) || environmentIds.length === 0) return Promise.resolve();
  return serialized(deps, () => applyMany(deps, environmentIds));
}

/**
 * Takes an environment's vhost away (and it out of the preview server). Call before the
 * row goes; the row, while it exists, tells what generation to expect gone.
 */
export function removeEnvironment(deps: EdgeDeps, service: string, env: string): Promise<void> {
  if (!isNginx(deps)) return Promise.resolve();
  return serialized(deps, async () => {
    const svc = deps.repos.services.byName(service);
    const row = svc && deps.repos.environments.byName(svc.id, env);
    const rest = svc
      ? deps.repos.environments.listForService(svc.id).filter((e) => e.name !== env)
      : [];
    const changes: FileChange[] = [{ name: vhostFileName(service, env), content: null }];
    if (svc)
      changes.push({ name: previewsFileName(service), content: previewsText(deps, svc, rest) });
    const gone = row ? String(row.vhostGeneration) : null;
    try {
      await applyFiles({
        ...baseOptions(deps),
        changes,
        serverNames: [],
        verify: () =>
          gone === null
            ? Promise.resolve()
            : waitForGeneration(
                deps.edge.nginx.listen,
                siteHost(deps, service, env),
                (seen) => seen !== gone,
                `the vhost of ${env} gone`,
              ),
      });
    } catch (err) {
      if (row) recordFailure(deps, [row.id], err);
      throw err;
    }
  });
}

/** Takes every file of a service away: its environments' vhosts and its preview server. */
export function removeService(deps: EdgeDeps, service: string): Promise<void> {
  if (!isNginx(deps)) return Promise.resolve();
  return serialized(deps, async () => {
    const nginx = deps.edge.nginx;
    const names = new Set<string>();
    for (const dir of [nginx.sitesAvailable, nginx.sitesEnabled]) {
      for (const file of await fs.readdir(dir).catch(() => [] as string[])) {
        if (isServiceFile(service, file)) names.add(file);
      }
    }
    await applyFiles({
      ...baseOptions(deps),
      changes: [...names].map((name) => ({ name, content: null })),
      serverNames: [],
      verify: async () => {},
    });
  });
}

/** A Berth file name: berth-<service>--<env>.conf or berth-<service>.previews.conf. */
const BERTH_FILE = /^berth-[a-z][a-z0-9-]*(--[a-z][a-z0-9-]*|\.previews)\.conf$/;

/**
 * Brings nginx in line with the database at start-up: writes what differs (a new
 * template, an environment made while nginx mode was off), removes vhosts of environments
 * that are gone, then one test and one reload. Returns how many files changed.
 */
export function syncEdge(deps: EdgeDeps): Promise<number> {
  if (!isNginx(deps)) return Promise.resolve(0);
  return serialized(deps, async () => {
    const nginx = deps.edge.nginx;
    const wanted = new Map<string, string | null>([[COMMON_FILE, renderCommon()]]);
    const next = nextGenerations(deps);
    const stale: { env: Environment; service: Service; generation: number }[] = [];
    for (const service of deps.repos.services.list()) {
      const envs = deps.repos.environments.listForService(service.id);
      for (const env of envs) {
        const name = vhostFileName(service.name, env.name);
        const same = vhostText(deps, service, env, env.vhostGeneration);
        const onDisk = await fs
          .readFile(`${nginx.sitesAvailable}/${name}`, "utf8")
          .catch(() => null);
        const linked = await fs.readlink(`${nginx.sitesEnabled}/${name}`).catch(() => null);
        if (onDisk === same && linked !== null) continue;
        const generation = next();
        stale.push({ env, service, generation });
        wanted.set(name, vhostText(deps, service, env, generation));
      }
      wanted.set(previewsFileName(service.name), previewsText(deps, service, envs));
    }
    for (const dir of [nginx.sitesAvailable, nginx.sitesEnabled]) {
      for (const file of await fs.readdir(dir).catch(() => [] as string[])) {
        if (BERTH_FILE.test(file) && !wanted.has(file) && !isKnown(deps, file)) {
          wanted.set(file, null);
        }
      }
    }
    const changes = [...wanted].map(([name, content]) => ({ name, content }));
    const changed = await applyFiles({
      ...baseOptions(deps),
      changes,
      serverNames: stale.flatMap((t) => serverNames(deps, t.service, t.env)),
      verify: async () => {
        for (const t of stale) {
          const want = String(t.generation);
          await waitForGeneration(
            nginx.listen,
            siteHost(deps, t.service.name, t.env.name),
            (seen) => seen === want,
            `${GENERATION_HEADER}: ${want}`,
          );
        }
      },
    });
    if (changed > 0) {
      writeTx(deps.db, (tx) => {
        for (const t of stale)
          deps.repos.environments.setVhostGeneration(tx, t.env.id, t.generation);
      });
    }
    return changed;
  });
}

/** Whether a Berth file name belongs to an environment that still exists. */
function isKnown(deps: EdgeDeps, file: string): boolean {
  const m = /^berth-([a-z][a-z0-9-]*)--([a-z][a-z0-9-]*)\.conf$/.exec(file);
  if (!m) return false;
  const service = deps.repos.services.byName(m[1] as string);
  return Boolean(service && deps.repos.environments.byName(service.id, m[2] as string));
}
