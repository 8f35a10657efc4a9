import { DomainError } from "../../domain/errors.ts";

/** A provider's failure, in words an operator can act on; the sync turns it into a status. */
export const dnsError = (code: string, message: string) =>
  new DomainError("unprocessable", code, message);
