const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

function codeOf(err: unknown): string | undefined {
  let e: unknown = err;
  // axios and undici wrap the socket error; the useful code is the innermost one
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "ERR_BAD_REQUEST" && code !== "ERR_BAD_RESPONSE")
      return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** acme-client's retry layer, out of retries on a network error, throws this instead. */
export function isLostNetworkError(err: unknown): boolean {
  return err instanceof TypeError && /reading 'config'/.test(err.message);
}

/**
 * One sentence an operator can act on, from whatever acme-client or the network threw
 * (`networkCode`: what a probe of the server found, when acme-client lost it).
 */
export function describeAcmeError(
  err: unknown,
  directoryUrl: string,
  networkCode?: string,
): string {
  const origin = new URL(directoryUrl).origin;
  const code = networkCode ?? codeOf(err);
  if (code && UNREACHABLE.has(code)) {
    return `Could not reach the ACME server at ${origin} (${code}).`;
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(code)) {
    return `The ACME server at ${origin} presented a TLS certificate this server does not trust (${code}); if it is a private CA, set BERTH_ACME_CA_FILE.`;
  }
  if (isLostNetworkError(err)) {
    return `The ACME server at ${origin} did not answer after several tries.`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.trim() || "The ACME server refused the request without saying why.";
}
