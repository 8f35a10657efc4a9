import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readPassword } from "../password-input.ts";
import {
  type ClientEnv,
  loadRemote,
  need,
  normalizeUrl,
  saveRemote,
  UsageError,
} from "./config.ts";
import { type Deployment, deploy, followLog, formatLine } from "./deploy.ts";
import { ApiError, api } from "./http.ts";
import { JOBS_USAGE, jobsCommand } from "./jobs.ts";
import { columns, type Term } from "./output.ts";

/** Commands that talk to a Berth server over HTTP (the rest of `berth` is local admin). */
export const REMOTE_COMMANDS = [
  "login",
  "deploy",
  "rollback",
  "deployments",
  "logs",
  "status",
  "jobs",
  "runs",
];

const help: Record<string, string> = {
  login: `berth login <url> [--token <key>]
  Checks the API key against the server and stores the URL and key in
  $XDG_CONFIG_HOME/berth/config.json (mode 0600). The key comes from --token, BERTH_TOKEN,
  standard input (its first line), or a hidden prompt on a terminal.
  BERTH_URL and BERTH_TOKEN override the stored login for every command.`,
  deploy: `berth deploy <folder|file.zip|file.tar.gz> --service <name> [--env production]
             [--message <text>] [--commit <sha>] [--strip-folder] [--json]
  Packs a folder as it uploads (files matching .berthignore are left out), streams the
  release log, and prints the site's URL and the preview URL. Exits 1 when the
  deployment fails. --strip-folder serves the bundle's one top folder as the root.`,
  rollback: `berth rollback --service <name> --env <name> [--to <deployment-id>] [--json]
  Makes the previous good release (or the one named) live again.`,
  deployments: `berth deployments --service <name> [--env <name>] [--limit 20] [--json]
  The newest deployments of each environment of the service (or of one).`,
  logs: `berth logs <deployment-id> [--follow] [--json]
  A deployment's release log; --follow streams it until the deployment finishes.`,
  status: `berth status [--json]
  Every service you can see: each environment, what is live there, and its URL.`,
  ...JOBS_USAGE,
};

const usage = `berth: deploy to a Berth server from a terminal or CI

${REMOTE_COMMANDS.map((c) => `  ${help[c]?.split("\n")[0]}`).join("\n")}

  berth <command> --help      more about one command
  berth --version

Local administration of a data directory: berth user ..., berth key ... (berth --help).`;

export type ClientContext = { argv: string[]; env: ClientEnv; term: Term; version: string };

const enc = encodeURIComponent;

/** Runs one client command; resolves with the exit status. */
export async function runRemote(ctx: ClientContext): Promise<number> {
  const { argv, env, term } = ctx;
  const [command, ...args] = argv;
  if (!command || command === "--help" || command === "-h") {
    term.out(usage);
    return command ? 0 : 2;
  }
  if (command === "--version") {
    term.out(`berth ${ctx.version}`);
    return 0;
  }
  if (command === "jobs" || command === "runs") return jobsCommand(argv, env, term);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: false,
    options: {
      service: { type: "string", short: "s" },
      env: { type: "string", short: "e" },
      message: { type: "string", short: "m" },
      commit: { type: "string" },
      to: { type: "string" },
      token: { type: "string" },
      limit: { type: "string" },
      follow: { type: "boolean", short: "f" },
      json: { type: "boolean" },
      "strip-folder": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  if (values.help) {
    term.out(help[command] ?? usage);
    return 0;
  }
  const json = values.json === true;
  const show = (value: unknown) => term.out(JSON.stringify(value, null, 2));
  const required = (name: string, v: unknown) => {
    const s = str(v);
    if (!s) throw new UsageError(`--${name} is required.\n\n${help[command]}`);
    return s;
  };
  try {
    switch (command) {
      case "login": {
        const url = positionals[0] ?? env.BERTH_URL;
        if (!url) throw new UsageError(`Which server? ${help.login}`);
        const token = str(values.token) || env.BERTH_TOKEN || (await readPassword("API key: "));
        const remote = { url: normalizeUrl(url), token: token.trim() };
        const me = await api<{ user: { email: string }; scope: string | null }>(remote, "/me");
        const file = saveRemote(env, remote);
        term.out(
          `Signed in to ${remote.url} as ${me.user.email}${me.scope ? ` (key scope ${me.scope})` : ""}; saved in ${file}.`,
        );
        return 0;
      }
      case "deploy": {
        const target = positionals[0];
        if (!target) throw new UsageError(`What to deploy? ${help.deploy}`);
        return await deploy(need(loadRemote(env)), term, target, {
          service: required("service", values.service),
          env: str(values.env) ?? "production",
          message: str(values.message),
          commit: str(values.commit),
          stripFolder: values["strip-folder"] === true,
          json,
        });
      }
      case "rollback": {
        const remote = need(loadRemote(env));
        const service = required("service", values.service);
        const environment = required("env", values.env);
        const d = await api<Deployment>(
          remote,
          `/services/${enc(service)}/environments/${enc(environment)}/rollback`,
          { method: "POST", json: str(values.to) ? { deploymentId: str(values.to) } : {} },
        );
        if (json) show(d);
        else term.out(`${d.id} is live in ${environment} again.`);
        return 0;
      }
      case "deployments": {
        const remote = need(loadRemote(env));
        const service = required("service", values.service);
        const envs = str(values.env)
          ? [str(values.env) as string]
          : (
              await api<{ environments: { name: string }[] }>(remote, `/services/${enc(service)}`)
            ).environments.map((e) => e.name);
        const limit = Number(str(values.limit) ?? 20);
        const all: Deployment[] = [];
        for (const e of envs) {
          const page = await api<{ items: Deployment[] }>(
            remote,
            `/services/${enc(service)}/environments/${enc(e)}/deployments?limit=${limit}`,
          );
          all.push(...page.items);
        }
        if (json) show(all);
        else {
          const rows = all.map((d) => [
            d.id,
            d.environment,
            d.status,
            d.createdAt.slice(0, 19).replace("T", " "),
            d.message ?? "",
          ]);
          for (const l of columns(["ID", "ENV", "STATUS", "CREATED (UTC)", "MESSAGE"], rows))
            term.out(l);
        }
        return 0;
      }
      case "logs": {
        const remote = need(loadRemote(env));
        const id = positionals[0];
        if (!id) throw new UsageError(`Which deployment? ${help.logs}`);
        if (values.follow) {
          const status = await followLog(remote, id, (l) =>
            term.out(json ? JSON.stringify(l) : formatLine(l)),
          );
          return status === "live" || status === "superseded" ? 0 : 1;
        }
        const log = await api<{ status: string; lines: Parameters<typeof formatLine>[0][] }>(
          remote,
          `/deployments/${enc(id)}/log`,
        );
        if (json) show(log);
        else for (const l of log.lines) term.out(formatLine(l));
        return 0;
      }
      case "status": {
        const remote = need(loadRemote(env));
        const services = await api<{
          items: {
            name: string;
            environments: { name: string; url: string; live: Deployment | null }[];
          }[];
        }>(remote, "/services");
        if (json) {
          show(services.items);
          return 0;
        }
        const rows = services.items.flatMap((s) =>
          s.environments.map((e) => [
            s.name,
            e.name,
            e.live ? e.live.id : "—",
            e.live ? e.live.createdAt.slice(0, 19).replace("T", " ") : "",
            e.url,
          ]),
        );
        for (const l of columns(["SERVICE", "ENV", "LIVE", "SINCE (UTC)", "URL"], rows))
          term.out(l);
        return 0;
      }
    }
    term.err(`berth: unknown command "${command}"\n\n${usage}`);
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      term.err(`berth ${command}: ${err.message}`);
      return 2;
    }
    if (err instanceof ApiError || err instanceof Error) {
      term.err(`berth ${command}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** The process entry: argv and environment from bin/berth.js. */
export async function main(argv: string[], env: ClientEnv): Promise<number> {
  const pkg = new URL("../../../package.json", import.meta.url);
  const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version: string };
  const tty = Boolean(process.stderr.isTTY);
  const term: Term = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    status: (text) => process.stderr.write(`\r\x1b[2K${text}`),
    tty,
  };
  return runRemote({ argv, env, term, version });
}
