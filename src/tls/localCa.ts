// Making the local CA and the server certificates it signs, with @peculiar/x509 (X.509 and ASN.1
// on WebCrypto): ECDSA P-256 keys, SHA-256 signatures, which Docker, podman, curl and browsers
// all accept. The library is loaded on first use: a server that makes no certificate never
// parses it.
import { subjectAltNames } from "./hosts";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** The local CA lives ten years: clients trust it once. */
export const CA_LIFETIME_MS = 3650 * DAY_MS;
/** Under the 398 days any client accepts for a server certificate; renewed well before its end. */
export const SERVER_LIFETIME_MS = 397 * DAY_MS;
/** Issued a little in the past, so a client whose clock lags by minutes still accepts it. */
const BACKDATE_MS = 3600_000;

export interface PemPair {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS #8). */
  key: string;
}

async function x509() {
  // @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the
  // Reflect metadata polyfill loaded before it.
  await import("reflect-metadata");
  return import("@peculiar/x509");
}

/** 16 random bytes with the top bit clear: a positive serial, unique per certificate (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  bytes[0]! |= 0x01; // no leading zero byte, so the encoding keeps all 16
  return Buffer.from(bytes).toString("hex");
}

async function privateKeyPem(lib: Awaited<ReturnType<typeof x509>>, key: CryptoKey): Promise<string> {
  return lib.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** A new CA: self-signed, may sign server certificates only (path length 0). `label` tells CAs apart in trust stores. */
export async function createCa(label: string, now: number): Promise<PemPair> {
  const lib = await x509();
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [`Berth local CA ${label}`] }, { O: ["Berth"] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await privateKeyPem(lib, keys.privateKey) };
}

/** A server certificate for `hosts` (names and addresses), signed by `ca`, ending no later than the CA. */
export async function issueServerCert(ca: PemPair, hosts: string[], now: number): Promise<PemPair> {
  if (hosts.length === 0) throw new Error("a server certificate needs at least one host");
  const lib = await x509();
  const caCert = new lib.X509Certificate(ca.cert);
  const caKey = await crypto.subtle.importKey("pkcs8", lib.PemConverter.decodeFirst(ca.key), ALGORITHM, false, ["sign"]);
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const notAfter = Math.min(now + SERVER_LIFETIME_MS, caCert.notAfter.getTime());
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [hosts[0]!] }],
    issuer: caCert.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(false, undefined, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth]),
      new lib.SubjectAlternativeNameExtension(subjectAltNames(hosts)),
      await lib.AuthorityKeyIdentifierExtension.create(caCert),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await privateKeyPem(lib, keys.privateKey) };
}
