/** A certificate fresh from the CA, with the key its CSR was made from. */
export type IssuedCertificate = {
  /** PEM: the leaf first, then the intermediates (what nginx calls ssl_certificate). */
  fullchain: string;
  /** PEM private key of the leaf. */
  key: string;
  /** The names the CA put in the certificate. */
  names: string[];
  issuer: string;
  notBefore: Date;
  notAfter: Date;
};

/** Progress an issuance reports as it goes, for the environment's activity log. */
export type IssueProgress = (message: string) => void;

/** One interface for getting a certificate; the real one speaks ACME (RFC 8555). */
export interface CertificateIssuer {
  /** Orders, proves control of every name by HTTP-01, and downloads the certificate. */
  issue(names: string[], progress?: IssueProgress): Promise<IssuedCertificate>;
}

/** An issuance that did not end in a certificate, with a sentence a user can act on. */
export class IssueError extends Error {
  override readonly name = "IssueError";
}
