/** Value types of the configuration that adapters and services are handed (src/config.ts reads them). */

export type Limits = Readonly<{
  maxBundleBytes: number;
  maxEntries: number;
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
}>;

export type EdgeConfig = Readonly<{
  mode: "embedded" | "nginx";
  nginx: Readonly<{
    /** nginx plus its fixed arguments (for example -p/-c of a private instance). */
    command: string[];
    sitesAvailable: string;
    sitesEnabled: string;
    /** How to reload; defaults to `<command> -s reload`. */
    reload: string[];
    /** Every address vhosts listen on for HTTP (BERTH_NGINX_LISTEN), and for HTTPS. */
    listenAll: readonly string[];
    listenTlsAll: readonly string[];
    /** The first of each: where Berth itself sends requests to check what nginx serves. */
    listen: string;
    listenTls: string;
  }>;
  publicIpv4: string | null;
  publicIpv6: string | null;
  cnameTarget: string | null;
  /** Another root for the Cloudflare API (a proxy, or a fake in tests); null: Cloudflare's. */
  cloudflareApiUrl?: string | null;
  acme: Readonly<{
    directoryUrl: string;
    email: string | null;
    caFile: string | null;
    /** Tests only (no variable sets it): see AcmeIssuerOptions.skipChallengeVerification. */
    skipChallengeVerification?: boolean;
  }>;
}>;

export type SandboxConfig = Readonly<{
  /** off: build commands run unsandboxed, with a warning on every run. */
  mode: "on" | "off";
  bwrap: string;
  limits: Readonly<{
    memoryMb: number;
    processes: number;
    fileSizeMb: number;
    cpuSeconds: number;
  }>;
}>;
