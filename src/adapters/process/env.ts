import { unprocessable } from "../../domain/errors.ts";

/**
 * Names from Berth's own environment that never reach a command it runs: its settings,
 * anything named like a credential, package-manager config (npm_config_* can hold a
 * registry token), git/ssh state that would redirect the user's git, and systemd's
 * sockets and credentials (a build must not notify or impersonate the Berth unit).
 */
const DROPPED_NAMES: readonly RegExp[] = [
  /^BERTH_/i,
  /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|COOKIE|AUTH/i,
  /(^|_)(API_?)?KEY(S)?($|_)/i,
  /(^|_)DSN$/i,
  /^npm_/i,
  /^GIT_/,
  /^SSH_(AUTH_SOCK|AGENT_PID)$/,
  /^(NOTIFY_SOCKET|LISTEN_(FDS|PID|FDNAMES)|WATCHDOG_(USEC|PID)|INVOCATION_ID|JOURNAL_STREAM)$/,
  /^NODE_OPTIONS$/,
];

/** A URL with a password in it (a proxy or a database URL), whatever its variable is called. */
const CREDENTIAL_URL = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isBerthPrivate(name: string, value: string): boolean {
  return DROPPED_NAMES.some((re) => re.test(name)) || CREDENTIAL_URL.test(value);
}

/**
 * The environment of a command Berth runs: `base` (Berth's own, handed in by the caller,
 * since only config.ts reads process.env) without anything private to Berth, so PATH,
 * HOME, LANG, LC_*, TZ, TMPDIR, proxies without passwords and the like remain; then the
 * command's own variables, which win and may be named anything valid (they are the user's).
 */
export function cleanEnv(
  base: Record<string, string | undefined>,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || isBerthPrivate(name, value)) continue;
    if (!VARIABLE_NAME.test(name) || value.includes("\0")) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (!VARIABLE_NAME.test(name)) {
      throw unprocessable(
        "invalid_variable",
        `"${name}" is not a valid variable name.`,
        "variables",
      );
    }
    if (value.includes("\0")) {
      throw unprocessable(
        "invalid_variable",
        `The value of ${name} contains a NUL byte.`,
        "variables",
      );
    }
    env[name] = value;
  }
  return env;
}
