import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import type { BundleFormat } from "../../domain/releases/deployment.ts";

/**
 * Build work directories live outside the data directory, so a sandboxed command, which
 * sees only its own, can reach it as nobody: by default one folder per data directory
 * under the system's temp dir (BERTH_WORK_DIR chooses another).
 */
export function defaultWorkDir(dataDir: string): string {
  const tag = createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 12);
  return path.join(os.tmpdir(), `berth-work-${tag}`);
}

/** Where everything lives under the data directory. Names are validated before they get here. */
export function createLayout(dataDir: string, workDir?: string | null) {
  const sites = path.join(dataDir, "sites");
  const work = workDir ?? defaultWorkDir(dataDir);
  return {
    dataDir,
    dbFile: path.join(dataDir, "berth.db"),
    uploadsDir: path.join(dataDir, "tmp", "uploads"),
    /** Bundles validated and unpacked at upload, waiting in the queue to become releases. */
    unpackedDir: path.join(dataDir, "tmp", "unpacked"),
    unpacked: (id: string) => path.join(dataDir, "tmp", "unpacked", id),
    bundlesDir: path.join(dataDir, "bundles"),
    bundle: (sha256: string, format: BundleFormat) =>
      path.join(dataDir, "bundles", `${sha256}.${format === "zip" ? "zip" : "tar.gz"}`),
    serviceDir: (service: string) => path.join(sites, service),
    environmentDir: (service: string, env: string) => path.join(sites, service, env),
    releasesDir: (service: string, env: string) => path.join(sites, service, env, "releases"),
    release: (service: string, env: string, id: string) =>
      path.join(sites, service, env, "releases", id),
    staging: (service: string, env: string, id: string) =>
      path.join(sites, service, env, "releases", `${id}.staging`),
    current: (service: string, env: string) => path.join(sites, service, env, "current"),
    /** HTTP-01 challenge files, served by nginx at /.well-known/acme-challenge/. */
    acmeWebroot: path.join(dataDir, "acme"),
    certsDir: path.join(dataDir, "certs"),
    /** One working directory per build, removed when it ends (outside the data directory). */
    build: (id: string) => path.join(work, id),
    buildsDir: work,
    /** The root of every sandboxed run's work directory (builds, jobs): emptied at start-up. */
    workDir: work,
    cert: (hostname: string) => ({
      fullchain: path.join(dataDir, "certs", hostname, "fullchain.pem"),
      key: path.join(dataDir, "certs", hostname, "privkey.pem"),
    }),
  };
}

export type Layout = ReturnType<typeof createLayout>;
