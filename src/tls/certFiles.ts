// `tlsCert` / `tlsKey`: the operator's own certificate (a chain: the server's first, then its
// intermediates) and key, read at start and again on SIGHUP. A pair that does not load is
// refused with the reason, so a bad renewal on disk never replaces the certificate being served.
import { readFileSync } from "node:fs";
import { CertificateError, checkKeyMatches, parseChain } from "./certificate";
import type { PemPair } from "./localCa";
import type { X509Certificate } from "node:crypto";

export interface LoadedCertFiles {
  served: PemPair;
  server: X509Certificate;
  /** Certificates in the chain after the server's. */
  intermediates: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e: any) {
    throw new CertificateError(`${path}: ${e?.code === "ENOENT" ? "not found" : e?.message ?? e}`);
  }
}

/** Reads and checks the pair: the chain parses, the key is the server certificate's. Throws CertificateError. */
export function loadCertFiles(certPath: string, keyPath: string, now = Date.now()): LoadedCertFiles {
  const cert = readText(certPath);
  const key = readText(keyPath);
  const chain = parseChain(cert, certPath);
  const server = chain[0]!;
  checkKeyMatches(server, key, keyPath);
  // Serving an expired certificate only trades a clear error here for obscure ones in every client.
  if (server.validToDate.getTime() <= now) throw new CertificateError(`${certPath}: the certificate expired on ${server.validToDate.toISOString()}`);
  return { served: { cert, key }, server, intermediates: chain.length - 1 };
}
