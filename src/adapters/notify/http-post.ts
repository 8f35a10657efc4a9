import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { isPrivateAddress } from "../../domain/notify/notify.ts";

export type SendOptions = {
  /** Loopback and private addresses are refused unless this is set (an admin's choice). */
  allowPrivate: boolean;
  timeoutMs?: number;
};

export class DeliveryError extends Error {}

const ANSWER_MAX = 2048;

/**
 * A DNS lookup that refuses private answers. The check is made on the address the socket
 * connects to, so a name that resolves differently the second time (rebinding) gains nothing.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad && !allowPrivate)
        return callback(
          new DeliveryError(
            `${hostname} resolves to ${bad.address}, a private or loopback address: refused`,
          ),
          "",
          0,
        );
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new DeliveryError(`${hostname} has no address`), "", 0);
      callback(null, first.address, first.family);
    });
  };
}

/** POSTs JSON; resolves with the status of a 2xx answer, rejects with what went wrong. */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: SendOptions,
): Promise<number> {
  const u = new URL(url);
  if (u.protocol !== "https:" && u.protocol !== "http:")
    return Promise.reject(new DeliveryError("only http and https URLs can be notified"));
  const lib = u.protocol === "https:" ? https : http;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "Berth-Notify/1",
          ...headers,
        },
        lookup: guardedLookup(opts.allowPrivate),
        timeout: timeoutMs,
      },
      (res) => {
        let answer = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          if (answer.length < ANSWER_MAX) answer += c;
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(status);
          else reject(new DeliveryError(`answered ${status}: ${answer.slice(0, 200)}`));
        });
      },
    );
    req.on("timeout", () => req.destroy(new DeliveryError(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) =>
      reject(err instanceof DeliveryError ? err : new DeliveryError(err.message)),
    );
    // literal IP hosts skip the lookup: check them here
    const literal = u.hostname.replace(/^\[|\]$/g, "");
    if (/^[\d.]+$|:/.test(literal) && isPrivateAddress(literal) && !opts.allowPrivate) {
      req.destroy(new DeliveryError(`${literal} is a private or loopback address: refused`));
      return;
    }
    req.end(body);
  });
}
