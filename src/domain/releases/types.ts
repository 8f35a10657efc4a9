import type {
  BundleFormat,
  DeploymentSource,
  DeploymentStatus,
  LogLevel,
  ServiceKind,
} from "./deployment.ts";

export type Service = {
  id: number;
  name: string;
  kind: ServiceKind;
  createdAt: number;
};

export type Environment = {
  id: number;
  serviceId: number;
  name: string;
  retention: number;
  spaFallback: boolean;
  liveDeploymentId: string | null;
  vhostGeneration: number;
  healthPath: string | null;
  healthStatus: number;
  healthKeyword: string | null;
  healthTimeoutMs: number;
  healthRetries: number;
  createdAt: number;
};

export type Domain = {
  id: number;
  environmentId: number;
  hostname: string;
  wwwRedirect: boolean;
  dnsStatus: "none" | "pending" | "ok" | "error";
  dnsMessage: string | null;
  certStatus: "none" | "pending" | "issued" | "error";
  certExpiresAt: number | null;
  certMessage: string | null;
  certFailures: number;
  certNextAttemptAt: number | null;
  createdAt: number;
};

export type Deployment = {
  id: string;
  environmentId: number;
  status: DeploymentStatus;
  source: DeploymentSource;
  artifactId: string | null;
  redeployOf: string | null;
  bundleSha256: string;
  bundleFormat: BundleFormat;
  bundleBytes: number;
  message: string | null;
  commit: string | null;
  /** Serve the bundle's one folder as the site's root. */
  stripFolder: boolean;
  fileCount: number | null;
  totalBytes: number | null;
  failedStage: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  pruned: boolean;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  activatedAt: number | null;
};

export type LogLine = {
  id: number;
  deploymentId: string;
  at: number;
  step: string;
  level: LogLevel;
  message: string;
};

export type EnvironmentEvent = {
  id: number;
  environmentId: number;
  at: number;
  action: string;
  deploymentId: string | null;
  message: string;
};

export type Page<T> = { items: T[]; nextCursor: string | null };
