import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { freePort } from "./server.ts";

export type PrivatePebble = {
  /** https://127.0.0.1:<port>/dir */
  directoryUrl: string;
  /** The CA that signed pebble's own HTTPS listener (what BERTH_ACME_CA_FILE names). */
  caFile: string;
  /** PEM of the root that signs issued certificates (fresh on every start). */
  rootCa(): Promise<string>;
  /** Makes pebble's DNS answer `host` with these IPv4 addresses instead of 127.0.0.1. */
  setA(host: string, addresses: string[]): Promise<void>;
  /** Back to the default answer (127.0.0.1) for `host`. */
  clearA(host: string): Promise<void>;
  pids: number[];
  /** SIGTERM both processes (SIGKILL after 5 s), removes the directory. Idempotent. */
  stop(): Promise<void>;
};

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed:\n${r.stderr}`);
}

/** Pebble's listener needs a certificate; Debian's package ships none (recipes/pebble.sh). */
function makeListenerCert(dir: string): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    dir,
    ["req", "-x509", ...ec, "-days", "7", "-subj", "/CN=berth-test-ca"].concat([
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ]),
  );
  openssl(dir, ["req", ...ec, "-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "leaf.csr"]);
  fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "7",
    "-extfile",
    "ext.cnf",
    "-out",
    "cert.pem",
  ]);
}

function get(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(5_000, () => req.destroy(new Error("timed out")));
  });
}

function startChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string) {
  const out = fs.openSync(log, "a");
  const child = spawn(cmd, args, { stdio: ["ignore", out, out], env });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, exited };
}

async function stopChild(c: { child: ChildProcess; exited: Promise<void> }): Promise<void> {
  const pid = c.child.pid;
  if (pid === undefined || c.child.exitCode !== null || c.child.signalCode !== null) return;
  process.kill(pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (c.child.exitCode === null) process.kill(pid, "SIGKILL");
  }, 5_000);
  await c.exited;
  clearTimeout(timer);
}

/**
 * A private Pebble (ACME test CA) whose VA resolves every name through
 * pebble-challtestsrv to 127.0.0.1 and fetches HTTP-01 challenges from `httpPort`
 * (the test nginx). Everything on loopback, stopped by PID.
 */
export async function startPebble(opts: { httpPort: number }): Promise<PrivatePebble> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-pebble-"));
  makeListenerCert(dir);
  const [acmePort, mgmtPort, tlsPort, dnsPort, dnsMgmtPort] = await distinctPorts(5);
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: path.join(dir, "cert.pem"),
      privateKey: path.join(dir, "key.pem"),
      httpPort: opts.httpPort,
      tlsPort,
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
    },
  };
  fs.writeFileSync(path.join(dir, "pebble-config.json"), JSON.stringify(config));
  const log = path.join(dir, "pebble.log");

  const dns = startChild(
    "pebble-challtestsrv",
    [
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `127.0.0.1:${dnsMgmtPort}`,
      "-defaultIPv6",
      "",
    ],
    process.env,
    log,
  );
  const pebble = startChild(
    "pebble",
    ["-config", path.join(dir, "pebble-config.json"), "-dnsserver", `127.0.0.1:${dnsPort}`],
    {
      ...process.env,
      PEBBLE_VA_NOSLEEP: "1", // validate at once instead of after a random pause
      PEBBLE_WFE_NONCEREJECT: "0", // no random badNonce rejections
      PEBBLE_AUTHZREUSE: "0", // every order proves control again (renewal test)
    },
    log,
  );
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([stopChild(pebble), stopChild(dns)]);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const ca = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const dnsMgmt = `http://127.0.0.1:${dnsMgmtPort}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ready =
      (await get(directoryUrl, ca).then(
        (r) => r.status === 200,
        () => false,
      )) &&
      (await fetch(`${dnsMgmt}/`).then(
        () => true,
        () => false,
      ));
    if (ready) break;
    if (pebble.child.exitCode !== null || dns.child.exitCode !== null || Date.now() > deadline) {
      const output = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
      await stop();
      throw new Error(`pebble did not start:\n${output}`);
    }
    await wait(50);
  }

  const fqdn = (host: string) => (host.endsWith(".") ? host : `${host}.`);
  const manage = async (what: string, body: unknown) => {
    const r = await fetch(`${dnsMgmt}${what}`, { method: "POST", body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`challtestsrv ${what} answered ${r.status}`);
  };
  return {
    directoryUrl,
    caFile: path.join(dir, "ca.pem"),
    rootCa: async () => {
      const r = await get(`https://127.0.0.1:${mgmtPort}/roots/0`, ca);
      if (r.status !== 200) throw new Error(`pebble /roots/0 answered ${r.status}`);
      return r.body;
    },
    setA: (host, addresses) => manage("/add-a", { host: fqdn(host), addresses }),
    clearA: (host) => manage("/clear-a", { host: fqdn(host) }),
    pids: [pebble.child.pid ?? 0, dns.child.pid ?? 0],
    stop,
  };
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
