import { randomBytes } from "node:crypto";
import { parseRepoUrl } from "../../adapters/git/index.ts";
import type { GitSourceRow } from "../../db/builds/builds-repo.ts";
import { writeTx } from "../../db/client.ts";
import { notFound, unprocessable } from "../../domain/errors.ts";
import type { Service } from "../../domain/releases/types.ts";
import type { BuildsDeps } from "./deps.ts";

export type SourceInput = {
  repoUrl: string;
  /** A token (https) or a private key (ssh); absent keeps the stored one, "" removes it. */
  credential?: string;
  commands: string[];
  outputDir: string;
  branches: Record<string, string>;
  variables?: { name: string; value?: string; secret: boolean }[];
  timeoutSeconds?: number;
};

export type SourceView = Omit<GitSourceRow, "credential" | "webhookSecret" | "variables"> & {
  credentialSet: boolean;
  variables: { name: string; value: string | null; secret: boolean }[];
};

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function validate(deps: BuildsDeps, service: Service, input: SourceInput) {
  const repo = parseRepoUrl(input.repoUrl);
  const commands = input.commands.map((c) => c.trim()).filter(Boolean);
  if (commands.length === 0 || commands.length > 20) {
    throw unprocessable("invalid_commands", "Give one to twenty build commands.", "commands");
  }
  if (commands.some((c) => c.length > 2000 || c.includes("\0"))) {
    throw unprocessable(
      "invalid_commands",
      "A build command is too long or has a NUL byte.",
      "commands",
    );
  }
  const outputDir = input.outputDir.trim().replace(/^\.\//, "").replace(/\/+$/, "") || ".";
  if (
    outputDir.startsWith("/") ||
    outputDir.split("/").some((s) => s === ".." || s === "") ||
    /[\0\\]/.test(outputDir)
  ) {
    throw unprocessable(
      "invalid_output_dir",
      "The output directory must be a relative path inside the repository.",
      "outputDir",
    );
  }
  const envNames = new Set(deps.repos.environments.listForService(service.id).map((e) => e.name));
  const branches: Record<string, string> = {};
  for (const [branch, env] of Object.entries(input.branches)) {
    if (!/^[\w./-]{1,200}$/.test(branch) || branch.startsWith("-") || branch.includes("..")) {
      throw unprocessable("invalid_branch", `"${branch}" is not a branch name.`, "branches");
    }
    if (!envNames.has(env)) {
      throw unprocessable(
        "unknown_environment",
        `Service "${service.name}" has no environment "${env}".`,
        "branches",
      );
    }
    branches[branch] = env;
  }
  const timeoutSeconds = input.timeoutSeconds ?? 900;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 10 || timeoutSeconds > 6 * 3600) {
    throw unprocessable(
      "invalid_timeout",
      "The build timeout must be 10 s to 6 h.",
      "timeoutSeconds",
    );
  }
  for (const v of input.variables ?? []) {
    if (!VAR_NAME.test(v.name) || v.name.startsWith("BERTH_")) {
      throw unprocessable(
        "invalid_variable",
        `"${v.name}" is not a usable variable name.`,
        "variables",
      );
    }
  }
  return { repo, commands, outputDir, branches, timeoutSeconds };
}

/** Saves a service's git source. Returns the webhook secret when it was just made (shown once). */
export function configureSource(
  deps: BuildsDeps,
  service: Service,
  input: SourceInput,
): { secret: string | null } {
  const v = validate(deps, service, input);
  const existing = deps.repos.builds.source(service.id);
  const oldVars = new Map((existing?.variables ?? []).map((x) => [x.name, x]));
  const variables = (input.variables ?? []).map((x) => {
    const kept = oldVars.get(x.name);
    const value =
      x.value === undefined || (x.secret && x.value === "")
        ? (kept?.value ?? "")
        : x.secret
          ? deps.secrets.encrypt(x.value)
          : x.value;
    return { name: x.name, value, secret: x.secret };
  });
  if (input.credential && v.repo.kind === "file") {
    throw unprocessable(
      "credential_not_used",
      "A local or file:// repository takes no token or key; leave the field empty.",
      "credential",
    );
  }
  let credential = existing?.credential ?? null;
  if (input.credential !== undefined)
    credential = input.credential === "" ? null : deps.secrets.encrypt(input.credential);
  const secret = existing ? null : randomBytes(24).toString("base64url");
  writeTx(deps.db, (tx) =>
    deps.repos.builds.saveSource(tx, {
      serviceId: service.id,
      repoUrl: v.repo.url,
      authKind: credential ? (v.repo.kind === "ssh" ? "ssh_key" : "token") : "none",
      credential,
      commands: v.commands,
      outputDir: v.outputDir,
      branches: v.branches,
      variables,
      timeoutSeconds: v.timeoutSeconds,
      webhookSecret: existing?.webhookSecret ?? deps.secrets.encrypt(secret as string),
      updatedAt: Date.now(),
    }),
  );
  return { secret };
}

export function getSource(deps: BuildsDeps, service: Service): GitSourceRow {
  const source = deps.repos.builds.source(service.id);
  if (!source)
    throw notFound("source_not_configured", `Service "${service.name}" has no git source yet.`);
  return source;
}

/** The source as shown to users: secrets only as "set" flags. */
export function viewSource(source: GitSourceRow): SourceView {
  const { credential, webhookSecret: _secret, variables, ...rest } = source;
  return {
    ...rest,
    credentialSet: credential !== null,
    variables: variables.map((v) => ({
      name: v.name,
      value: v.secret ? null : v.value,
      secret: v.secret,
    })),
  };
}

/** A new webhook secret, returned once; the old one stops working at once. */
export function rotateWebhookSecret(deps: BuildsDeps, service: Service): string {
  const source = getSource(deps, service);
  const secret = randomBytes(24).toString("base64url");
  writeTx(deps.db, (tx) =>
    deps.repos.builds.saveSource(tx, {
      ...source,
      webhookSecret: deps.secrets.encrypt(secret),
      updatedAt: Date.now(),
    }),
  );
  return secret;
}
