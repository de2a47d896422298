// TLS for the server: where its certificate comes from (`tls: auto` or tlsCert/tlsKey), what
// to print about it, and the listener that changes certificate without dropping connections.
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import type { Config } from "../config";
import { autoTlsFiles, ensureAutoTls } from "./autoTls";
import { describeCert } from "./certificate";
import { loadCertFiles } from "./certFiles";
import { defaultTlsHosts, uniqueHosts } from "./hosts";
import type { PemPair } from "./localCa";
import { trustInstructions } from "./trust";

export { CertificateError } from "./certificate";
export { Listener, type ServeOptions } from "./listener";
export { httpsLocation } from "./redirect";
export type { PemPair } from "./localCa";

export interface TlsLoad {
  served: PemPair;
  /** What happened, one log line each. */
  notes: string[];
}

/** Where the served certificate comes from. */
export interface TlsSource {
  readonly mode: "auto" | "files";
  /** What to serve now: read, and with `tls: auto` made or renewed when due. Throws CertificateError. */
  load(now?: number): Promise<TlsLoad>;
  /** Printed at every start: for `tls: auto`, how clients trust the CA. */
  startNotes(port: number): string[];
}

/** The configured TLS source, or undefined for plain HTTP. */
export function tlsSource(config: Config): TlsSource | undefined {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) return certFileSource(config.tlsCert, config.tlsKey);
  if (config.tls === "auto") return autoSource(config);
  return undefined;
}

function certFileSource(certPath: string, keyPath: string): TlsSource {
  return {
    mode: "files",
    async load(now) {
      const loaded = loadCertFiles(certPath, keyPath, now);
      const chain = loaded.intermediates ? ` with ${loaded.intermediates} intermediate certificate(s)` : "";
      return { served: loaded.served, notes: [`TLS: ${certPath}: ${describeCert(loaded.server)}${chain}`] };
    },
    startNotes: () => [],
  };
}

/** The hosts the automatic certificate is for: tlsHosts, or the machine's names and addresses. */
export function autoTlsHosts(config: Config): string[] {
  return config.tlsHosts.length ? uniqueHosts(config.tlsHosts) : defaultTlsHosts(hostname(), networkInterfaces(), config.publicUrl);
}

function autoSource(config: Config): TlsSource {
  const hosts = autoTlsHosts(config);
  return {
    mode: "auto",
    async load(now) {
      const label = `${hostname() || "berth"} ${new Date(now ?? Date.now()).toISOString().slice(0, 10)}`;
      const result = await ensureAutoTls(config.data, hosts, label, now);
      const notes = result.made.map((m) => `TLS: made ${m}`);
      notes.push(`TLS: serving ${describeCert(result.server)}`);
      return { served: result.served, notes };
    },
    startNotes(port) {
      const caPath = autoTlsFiles(config.data).caCert;
      return [trustInstructions({ caPath, hosts, port, label: caLabel(readFileSync(caPath, "utf8")) })];
    },
  };
}

/** A short stable name for a CA certificate: the start of its SHA-256 fingerprint. */
function caLabel(pem: string): string {
  return createHash("sha256").update(new X509Certificate(pem).raw).digest("hex").slice(0, 12);
}

/** The local CA's certificate (PEM) of a data directory, or undefined when `tls: auto` never ran there. */
export function localCaPem(dataDir: string): string | undefined {
  const path = autoTlsFiles(dataDir).caCert;
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}
