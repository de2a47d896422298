// `tls: auto`: a local CA and a server certificate it signs, kept in <data>/tls/ (the directory
// 0700, every file 0600, written to a temporary name, fsynced and renamed). The CA is made once
// and kept: clients trust it. The server certificate is made anew whenever renewalReason() says
// so (it nears its end, the configured hosts changed, the CA changed): at start, on SIGHUP and
// at the server's daily check.
import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import { CertificateError, checkKeyMatches, describeCert, parseChain, renewalReason, RENEW_BEFORE_MS } from "./certificate";
import { createCa, issueServerCert, type PemPair } from "./localCa";

export interface AutoTlsFiles {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export function autoTlsFiles(dataDir: string): AutoTlsFiles {
  const dir = join(dataDir, "tls");
  return { dir, caCert: join(dir, "ca.crt"), caKey: join(dir, "ca.key"), serverCert: join(dir, "server.crt"), serverKey: join(dir, "server.key") };
}

export interface AutoTlsResult {
  /** What to serve: the server certificate and its key (clients hold the CA). */
  served: PemPair;
  /** What was made now, for the log ("a new local CA", "a server certificate: it expires in 12 days"). */
  made: string[];
  /** The CA was made now: clients must be told how to trust it. */
  newCa: boolean;
  server: X509Certificate;
}

// Temp file created 0600, fsynced, renamed into place: a crash leaves the old file or the new one.
async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

function readPair(certPath: string, keyPath: string): PemPair | undefined {
  if (!existsSync(certPath) && !existsSync(keyPath)) return undefined;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    throw new CertificateError(`${existsSync(certPath) ? keyPath : certPath} is missing beside ${existsSync(certPath) ? certPath : keyPath}`);
  }
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

/** The CA in `files`, made now when there is none. Throws CertificateError when its files are broken (never replaced silently: clients trust it). */
async function loadOrCreateCa(files: AutoTlsFiles, label: string, now: number, made: string[]): Promise<{ pair: PemPair; cert: X509Certificate; created: boolean }> {
  const existing = readPair(files.caCert, files.caKey);
  if (existing) {
    const [cert] = parseChain(existing.cert, files.caCert);
    checkKeyMatches(cert!, existing.key, files.caKey);
    // A CA near its end (after ten years) is replaced, loudly: clients must trust the new one.
    if (cert!.validToDate.getTime() - now >= RENEW_BEFORE_MS) return { pair: existing, cert: cert!, created: false };
    made.push(`a new local CA (the old one ends ${cert!.validToDate.toISOString()})`);
  } else {
    made.push("a new local CA");
  }
  const pair = await createCa(label, now);
  await writePrivate(files.caKey, pair.key);
  await writePrivate(files.caCert, pair.cert);
  return { pair, cert: new X509Certificate(pair.cert), created: true };
}

/**
 * Loads (or makes) the local CA and the server certificate for `hosts`. `label` goes into a new
 * CA's name. Throws CertificateError when the CA's files are unusable.
 */
export async function ensureAutoTls(dataDir: string, hosts: string[], label: string, now = Date.now()): Promise<AutoTlsResult> {
  const files = autoTlsFiles(dataDir);
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  chmodSync(files.dir, 0o700);
  const made: string[] = [];
  const ca = await loadOrCreateCa(files, label, now, made);
  let server = readServer(files, ca.cert, hosts, now, made);
  if (!server) {
    const pair = await issueServerCert(ca.pair, hosts, now);
    await writePrivate(files.serverKey, pair.key);
    await writePrivate(files.serverCert, pair.cert);
    server = { pair, cert: new X509Certificate(pair.cert) };
  }
  return { served: server.pair, made, newCa: ca.created, server: server.cert };
}

/** The stored server certificate while it serves; undefined (with the reason in `made`) when a new one is due. */
function readServer(files: AutoTlsFiles, ca: X509Certificate, hosts: string[], now: number, made: string[]) {
  let pair: PemPair | undefined;
  try {
    pair = readPair(files.serverCert, files.serverKey);
    if (!pair) {
      made.push(`a server certificate for ${hosts.join(", ")}`);
      return undefined;
    }
    const [cert] = parseChain(pair.cert, files.serverCert);
    checkKeyMatches(cert!, pair.key, files.serverKey);
    const reason = renewalReason(cert!, ca, hosts, now);
    if (!reason) return { pair, cert: cert! };
    made.push(`a new server certificate for ${hosts.join(", ")}: the old one (${describeCert(cert!)}): ${reason}`);
  } catch (e) {
    // Ours to remake: a half-written or mismatched pair is replaced.
    if (!(e instanceof CertificateError)) throw e;
    made.push(`a new server certificate: ${e.message}`);
  }
  return undefined;
}
