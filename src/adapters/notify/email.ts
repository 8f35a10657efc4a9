import dns from "node:dns/promises";
import nodemailer from "nodemailer";
import type { Notification } from "../../domain/notify/notify.ts";
import { isPrivateAddress } from "../../domain/notify/notify.ts";
import { DeliveryError, type SendOptions } from "./http-post.ts";

export type SmtpTarget = {
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  from: string;
  to: string;
};

/**
 * One email through SMTP with STARTTLS required (never plain text on the wire). The host
 * is resolved first and the connection made to that address, with the name for TLS.
 */
export async function sendEmail(
  t: SmtpTarget,
  n: Notification,
  opts: SendOptions & { ca?: string },
): Promise<void> {
  const { address } = await dns.lookup(t.host);
  if (isPrivateAddress(address) && !opts.allowPrivate)
    throw new DeliveryError(
      `${t.host} resolves to ${address}, a private or loopback address: refused`,
    );
  const transport = nodemailer.createTransport({
    host: address,
    port: t.port,
    secure: false,
    requireTLS: true,
    auth: t.username ? { user: t.username, pass: t.password ?? "" } : undefined,
    tls: { servername: t.host, ...(opts.ca ? { ca: opts.ca } : {}) },
    connectionTimeout: opts.timeoutMs ?? 10_000,
    greetingTimeout: opts.timeoutMs ?? 10_000,
    socketTimeout: opts.timeoutMs ?? 10_000,
  });
  try {
    await transport.sendMail({
      from: t.from,
      to: t.to,
      subject: `[Berth] ${n.title}`,
      text: `${n.text}\n\n${[
        n.service && `Service: ${n.service}`,
        n.environment && `Environment: ${n.environment}`,
      ]
        .filter(Boolean)
        .join("\n")}\n`,
    });
  } catch (err) {
    throw new DeliveryError((err as Error).message);
  } finally {
    transport.close();
  }
}
