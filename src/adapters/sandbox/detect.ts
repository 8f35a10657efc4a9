import fs from "node:fs";
import { runProcess } from "../process/run.ts";
import { NOBODY, probeArgv } from "./argv.ts";

export type SandboxCheck =
  /** disableUserns: this bwrap can forbid user namespaces inside (0.8 and later). */
  | { ok: true; sandboxed: true; disableUserns: boolean }
  | { ok: true; sandboxed: false; warning: string }
  | { ok: false; message: string };

export const OFF_WARNING =
  "BERTH_SANDBOX=off: this command runs without the sandbox, as Berth's own user, and can read and change everything Berth can. Only for a trusted single-user machine.";

const FIX =
  "Install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces: " +
  "on Debian, sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04, AppArmor must allow " +
  "/usr/bin/bwrap to create them (a profile with the userns rule, such as bwrap-userns-restrict, " +
  "or sysctl kernel.apparmor_restrict_unprivileged_userns=0); under systemd the unit must not " +
  "forbid them (RestrictNamespaces, PrivateUsers). On a trusted single-user machine, " +
  "BERTH_SANDBOX=off runs commands without the sandbox.";

export function unavailableMessage(reason: string): string {
  return `The sandbox for untrusted code is not usable: ${reason}. ${FIX}`;
}

/** Whether Berth runs as root: then bwrap is started as nobody, never as root. */
export const runsAsRoot = () => process.getuid?.() === 0;

/**
 * Checks that bubblewrap and prlimit are there and that a sandbox can really be made
 * (user namespaces allowed), by running `true` in one as the sandbox's user.
 */
export async function detectSandbox(bwrap: string): Promise<SandboxCheck> {
  if (!fs.existsSync(bwrap))
    return { ok: false, message: unavailableMessage(`${bwrap} is missing`) };
  if (!fs.existsSync("/usr/bin/prlimit")) {
    return {
      ok: false,
      message: unavailableMessage("/usr/bin/prlimit (util-linux) is missing"),
    };
  }
  const first = await probe(bwrap, true);
  // an older bwrap (before 0.8) has no --disable-userns: sandbox without it
  const res =
    !first.ok && /unknown option|--disable-userns/i.test(first.output)
      ? await probe(bwrap, false)
      : first;
  if (res.ok) return { ok: true, sandboxed: true, disableUserns: res === first };
  return { ok: false, message: unavailableMessage(res.output) };
}

async function probe(
  bwrap: string,
  disableUserns: boolean,
): Promise<{ ok: boolean; output: string }> {
  let output = "";
  try {
    const res = await runProcess({
      argv: probeArgv(bwrap, disableUserns),
      cwd: "/",
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
      secrets: [],
      onOutput: (c) => {
        output += c.text;
      },
      graceMs: 1000,
      ...(runsAsRoot() ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    if (res.exitCode === 0) return { ok: true, output };
    const why = output.trim() || `bwrap exited with ${res.exitCode ?? res.signal}`;
    return { ok: false, output: `bwrap could not make a sandbox (${why})` };
  } catch (err) {
    return { ok: false, output: `bwrap did not start (${String(err)})` };
  }
}
