import { unprocessable } from "../../domain/errors.ts";
import type { SourceInput, SourceView } from "../../services/builds/source.ts";

/**
 * The source settings form: text areas of one item per line. Branches are
 * `main = production`; variables `NAME=value`, or `secret NAME=value` for one that is
 * stored encrypted and masked in build logs. A secret's value is never shown: the form
 * lists `secret NAME=` and an empty value keeps the stored one.
 */
export type SourceFormValues = {
  repoUrl: string;
  commands: string;
  outputDir: string;
  branches: string;
  variables: string;
  timeoutSeconds: string;
  clearCredential: string;
};

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

/** The form as the stored source fills it (or the defaults for a first set-up). */
export function sourceFormValues(source: SourceView | null): SourceFormValues {
  if (!source) {
    return {
      repoUrl: "",
      commands: "npm ci\nnpm run build",
      outputDir: "dist",
      branches: "main = production",
      variables: "",
      timeoutSeconds: "900",
      clearCredential: "",
    };
  }
  return {
    repoUrl: source.repoUrl,
    commands: source.commands.join("\n"),
    outputDir: source.outputDir,
    branches: Object.entries(source.branches)
      .map(([branch, env]) => `${branch} = ${env}`)
      .join("\n"),
    variables: source.variables
      .map((v) => (v.secret ? `secret ${v.name}=` : `${v.name}=${v.value ?? ""}`))
      .join("\n"),
    timeoutSeconds: String(source.timeoutSeconds),
    clearCredential: "",
  };
}

export function readSourceForm(form: Record<string, string>): SourceFormValues {
  return {
    repoUrl: form.repoUrl ?? "",
    commands: form.commands ?? "",
    outputDir: form.outputDir ?? "",
    branches: form.branches ?? "",
    variables: form.variables ?? "",
    timeoutSeconds: form.timeoutSeconds ?? "",
    clearCredential: form.clearCredential ?? "",
  };
}

function parseBranches(text: string): Record<string, string> {
  const branches: Record<string, string> = {};
  for (const line of lines(text)) {
    const m = /^(\S+)\s*=\s*(\S+)$/.exec(line);
    if (!m?.[1] || !m[2]) {
      throw unprocessable(
        "invalid_branches",
        `"${line}" is not "branch = environment".`,
        "branches",
      );
    }
    branches[m[1]] = m[2];
  }
  return branches;
}

function parseVariables(text: string): NonNullable<SourceInput["variables"]> {
  return lines(text).map((line) => {
    const m = /^(secret\s+)?([^=\s]+)=(.*)$/.exec(line);
    if (!m?.[2]) {
      throw unprocessable(
        "invalid_variable",
        `"${line.slice(0, 60)}" is not NAME=value or secret NAME=value.`,
        "variables",
      );
    }
    return { name: m[2], value: m[3] ?? "", secret: Boolean(m[1]) };
  });
}

/**
 * What the form asks configureSource to save. The credential is write-only: typed
 * replaces it, empty keeps it, the "remove" box deletes it.
 */
export function sourceInput(values: SourceFormValues, credential: string): SourceInput {
  const timeout = values.timeoutSeconds.trim();
  return {
    repoUrl: values.repoUrl.trim(),
    credential:
      values.clearCredential === "on" ? "" : credential.trim() ? credential.trim() : undefined,
    commands: lines(values.commands),
    outputDir: values.outputDir,
    branches: parseBranches(values.branches),
    variables: parseVariables(values.variables),
    timeoutSeconds: timeout === "" ? undefined : Number(timeout),
  };
}
