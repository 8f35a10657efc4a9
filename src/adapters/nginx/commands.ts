import type { EdgeConfig } from "../../domain/config-types.ts";

type NginxConfig = EdgeConfig["nginx"];

/** `nginx [fixed args] -t`: checks the whole configuration, sites-enabled included. */
export function testArgv(nginx: NginxConfig): string[] {
  return [...nginx.command, "-t"];
}

/** How to reload: the configured command, by default `nginx [fixed args] -s reload`. */
export function reloadArgv(nginx: NginxConfig): string[] {
  return [...nginx.reload];
}

/**
 * Where to send a request that reaches a `listen` value: a wildcard address is reached
 * on loopback, a specific address on itself.
 */
export function probeAddress(listen: string): { host: string; port: number } {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):)?(\d{1,5})$/.exec(listen);
  if (!m) throw new Error(`not a listen value: ${listen}`);
  const port = Number(m[2]);
  const address = m[1];
  if (address === undefined || address === "0.0.0.0") return { host: "127.0.0.1", port };
  if (address.startsWith("[")) {
    const inner = address.slice(1, -1);
    return { host: inner === "::" ? "::1" : inner, port };
  }
  return { host: address, port };
}
