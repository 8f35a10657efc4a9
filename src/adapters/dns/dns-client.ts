import { randomInt } from "node:crypto";
import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { type DecodedPacket, decode, encode, type Packet } from "dns-packet";
import { dnsError } from "./errors.ts";
import { findTsig, sign, TSIG_ERRORS, type TsigKey, verify } from "./tsig.ts";

export type DnsServer = { host: string; port: number };

/** A signed request's answer: its RCODE, for the caller to judge, and the decoded packet. */
export type SignedAnswer = { rcode: string; packet: DecodedPacket };

const RCODES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
];

/** "ns1.example.com", "127.0.0.1:5353", "[2001:db8::1]:53" or a bare IPv6 address. */
export function parseServer(text: string): DnsServer {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed?.[1]) return { host: bracketed[1], port: Number(bracketed[2] ?? 53) };
  if (isIPv6(text)) return { host: text, port: 53 };
  const [host = "", port] = text.split(":");
  return { host, port: Number(port ?? 53) };
}

export const showServer = (s: DnsServer) =>
  isIPv6(s.host) ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;

/** Sends bytes over UDP and waits for the datagram that answers `id`, resending on silence. */
function udpExchange(
  server: DnsServer,
  bytes: Buffer,
  opts: { timeoutMs: number; attempts: number },
): Promise<Buffer> {
  const id = bytes.readUInt16BE(0);
  const socket = dgram.createSocket(isIPv6(server.host) ? "udp6" : "udp4");
  return new Promise<Buffer>((resolve, reject) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, answer?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const send = () => {
      if (sent >= opts.attempts) {
        const seconds = (opts.timeoutMs * opts.attempts) / 1000;
        finish(
          dnsError(
            "dns_timeout",
            `The DNS server ${showServer(server)} did not answer within ${seconds} s: is the address right and its port open to this host?`,
          ),
        );
        return;
      }
      sent++;
      socket.send(bytes);
      timer = setTimeout(send, opts.timeoutMs);
    };
    socket.on("message", (msg) => {
      // a late answer to an earlier request, or noise: keep waiting for ours
      if (msg.length >= 12 && msg.readUInt16BE(0) === id && (msg[2] ?? 0) & 0x80) finish(null, msg);
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "ECONNREFUSED" ? "nothing listens there" : err.message;
      finish(
        dnsError("dns_unreachable", `Cannot reach the DNS server ${showServer(server)}: ${why}.`),
      );
    });
    // a connected socket hears ICMP "port unreachable" as ECONNREFUSED instead of waiting
    socket.connect(server.port, server.host, send);
  });
}

/**
 * Sends a TSIG-signed message and checks the answer's signature. TSIG failures and
 * timeouts become DomainErrors; any other RCODE is returned for the caller to judge.
 */
export async function signedExchange(
  server: DnsServer,
  packet: Packet,
  key: TsigKey,
  opts: { what: "update" | "query"; timeoutMs: number; attempts: number },
): Promise<SignedAnswer> {
  const id = randomInt(65536);
  const { bytes, mac } = sign(encode({ ...packet, id }), key);
  const raw = await udpExchange(server, bytes, opts);
  const rcode = RCODES[(raw[3] ?? 0) & 0x0f] ?? `RCODE_${(raw[3] ?? 0) & 0x0f}`;
  const tsig = findTsig(raw);
  if (tsig && tsig.error !== 0) {
    const name = TSIG_ERRORS[tsig.error] ?? `TSIG error ${tsig.error}`;
    const why =
      name === "BADTIME"
        ? "this host's clock and the server's differ by more than 5 minutes"
        : name === "BADKEY"
          ? `it knows no key named "${key.name}" with algorithm ${key.algorithm}`
          : `the signature does not match key "${key.name}": the secret differs`;
    const hint = name === "BADTIME" ? "clock skew?" : "wrong TSIG key?";
    throw dnsError(
      "dns_tsig_rejected",
      `The DNS server refused the ${opts.what}: ${hint} (${name}: ${why}).`,
    );
  }
  if (rcode === "NOTAUTH" && !tsig) {
    throw dnsError(
      "dns_tsig_rejected",
      `The DNS server refused the ${opts.what}: wrong TSIG key? (NOTAUTH: it is not authoritative or did not accept key "${key.name}").`,
    );
  }
  if (tsig && !verify(raw, tsig, key, mac)) {
    throw dnsError(
      "dns_bad_signature",
      `The answer from ${showServer(server)} is not signed with key "${key.name}": is this the right server?`,
    );
  }
  if (!tsig && rcode === "NOERROR") {
    throw dnsError(
      "dns_unsigned_answer",
      `The DNS server ${showServer(server)} answered without a TSIG signature: does it support TSIG?`,
    );
  }
  return { rcode, packet: decode(raw) };
}
