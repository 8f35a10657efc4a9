import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type Bind = {
  port: number;
  server: string;
  zone: string;
  keyName: string;
  /** base64, as tsig-keygen printed it. */
  secret: string;
  dir: string;
  /** `dig @127.0.0.1 -p PORT name type +short`, one answer per line. */
  dig: (name: string, type: string) => Promise<string[]>;
  serial: () => Promise<number>;
  log: () => string;
  stop: () => Promise<void>;
};

/** A free TCP port on loopback (named takes the same number for UDP). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A private BIND 9 on a high loopback port, serving one zone that accepts dynamic
 * updates signed with one TSIG key. Stopped by PID.
 */
export async function startBind(
  opts: { zone?: string; algorithm?: "hmac-sha256" | "hmac-sha512" } = {},
): Promise<Bind> {
  const zone = opts.zone ?? "example.test";
  const algorithm = opts.algorithm ?? "hmac-sha256";
  const keyName = "berth-key";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-bind-"));
  const { stdout: keyConf } = await run("tsig-keygen", ["-a", algorithm, keyName]).catch(
    (err: Error) => {
      throw new Error(
        `tsig-keygen failed (apt-get install -y bind9 bind9-dnsutils): ${err.message}`,
      );
    },
  );
  const secret = /secret\s+"([^"]+)"/.exec(keyConf)?.[1];
  if (!secret) throw new Error(`no secret in tsig-keygen output: ${keyConf}`);
  fs.writeFileSync(path.join(dir, "key.conf"), keyConf);
  fs.writeFileSync(
    path.join(dir, `${zone}.zone`),
    [
      "$TTL 60",
      `@   IN SOA ns1.${zone}. hostmaster.${zone}. ( 1 60 60 3600 60 )`,
      `    IN NS  ns1.${zone}.`,
      "ns1 IN A   127.0.0.1",
      'txt IN TXT "left alone"',
      "",
    ].join("\n"),
  );
  let lastError = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    fs.writeFileSync(
      path.join(dir, "named.conf"),
      `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
  allow-transfer { none; };
};
controls { };
include "${dir}/key.conf";
zone "${zone}" {
  type primary;
  file "${dir}/${zone}.zone";
  allow-update { key "${keyName}"; };
};
`,
    );
    const logFile = path.join(dir, "named.log");
    const out = fs.openSync(logFile, "w");
    const child: ChildProcess = spawn(
      "named",
      ["-g", "-4", "-n", "1", "-c", path.join(dir, "named.conf")],
      { stdio: ["ignore", out, out] },
    );
    fs.closeSync(out);
    if (!child.pid) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error("cannot run named: apt-get install -y bind9 bind9-dnsutils");
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.once("error", () => undefined);
    const dig = async (name: string, type: string) => {
      const { stdout } = await run("dig", [
        "@127.0.0.1",
        "-p",
        String(port),
        name,
        type,
        "+short",
        "+time=1",
        "+tries=1",
      ]);
      return stdout.split("\n").filter(Boolean);
    };
    const stop = async () => {
      if (child.exitCode === null && child.pid) {
        process.kill(child.pid, "SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 10_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      if (fs.readFileSync(logFile, "utf8").includes("running")) {
        up = (await dig(zone, "SOA").catch(() => [])).length > 0;
        if (up) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      return {
        port,
        server: `127.0.0.1:${port}`,
        zone,
        keyName,
        secret,
        dir,
        dig,
        serial: async () => Number((await dig(zone, "SOA"))[0]?.split(" ")[2]),
        log: () => fs.readFileSync(logFile, "utf8"),
        stop,
      };
    }
    lastError = fs.readFileSync(logFile, "utf8");
    if (child.exitCode === null && child.pid) {
      process.kill(child.pid, "SIGTERM");
      await exited;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`named did not start:\n${lastError.slice(-2000)}`);
}
