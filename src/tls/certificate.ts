// Reading PEM certificates and keys (Node's X509Certificate, built into Bun): split a chain, check
// a key belongs to a certificate, and decide when the automatic server certificate must be made
// anew. Decisions take `now` and are unit-tested with tables.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { parseIp } from "../ipAddress";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const DAY_MS = 86_400_000;
/** The automatic server certificate is made anew when fewer days than this remain. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;

export class CertificateError extends Error {}

/** The certificates of a PEM chain, in order (the server's first). Throws CertificateError when there is none or one does not parse. */
export function parseChain(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new CertificateError(`${what}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e: any) {
      throw new CertificateError(`${what}: certificate ${i + 1} does not parse: ${e?.message ?? e}`);
    }
  });
}

/** Throws CertificateError unless `keyPem` is a private key and `cert` carries its public key. */
export function checkKeyMatches(cert: X509Certificate, keyPem: string, what: string): void {
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e: any) {
    throw new CertificateError(`${what}: not a PEM private key: ${e?.message ?? e}`);
  }
  if (!cert.checkPrivateKey(key)) throw new CertificateError(`${what}: the key does not belong to the certificate (${cert.subject.replace(/\n/g, ", ")})`);
}

/** Whether `cert` names `host` (a DNS name or an IP address) in its Subject Alternative Names. */
export function certCovers(cert: X509Certificate, host: string): boolean {
  // A wildcard entry is covered by the same wildcard, not by a name it would match.
  if (host.startsWith("*.")) return (cert.subjectAltName ?? "").split(", ").some((n) => n.toLowerCase() === `dns:${host.toLowerCase()}`);
  return parseIp(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host, { subject: "never" }) !== undefined;
}

/**
 * Why the automatic server certificate must be made anew, or undefined while it serves: it
 * expires within RENEW_BEFORE_MS, does not name every configured host, or was not signed by
 * the current CA (the CA was replaced).
 */
export function renewalReason(server: X509Certificate, ca: X509Certificate, hosts: string[], now: number): string | undefined {
  const left = server.validToDate.getTime() - now;
  if (left < RENEW_BEFORE_MS) return left <= 0 ? "it has expired" : `it expires in ${Math.ceil(left / DAY_MS)} days`;
  if (server.validFromDate.getTime() > now) return "it is not valid yet (was the clock set back?)";
  const missing = hosts.filter((h) => !certCovers(server, h));
  if (missing.length) return `it does not name ${missing.join(", ")}`;
  if (!server.checkIssued(ca) || !server.verify(ca.publicKey)) return "the local CA did not sign it";
  return undefined;
}

/** One line about a certificate for the log: subject, names and end of validity. */
export function describeCert(cert: X509Certificate): string {
  const names = cert.subjectAltName ? ` (${cert.subjectAltName})` : "";
  return `${cert.subject.replace(/\n/g, ", ")}${names}, valid until ${cert.validToDate.toISOString()}`;
}
