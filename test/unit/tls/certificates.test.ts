// The local CA, the server certificates it signs, the data directory's TLS files, and the
// operator's certificate files: made with fixed clocks and checked with Node's X509Certificate
// (and openssl, as a second opinion on what the library wrote).
import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { chmodSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { autoTlsFiles, ensureAutoTls } from "../../../src/tls/autoTls";
import { CertificateError, parseChain, renewalReason } from "../../../src/tls/certificate";
import { loadCertFiles } from "../../../src/tls/certFiles";
import { createCa, issueServerCert, SERVER_LIFETIME_MS } from "../../../src/tls/localCa";
import { tempDir } from "../../support/server";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const HOSTS = ["reg.lan", "localhost", "127.0.0.1", "::1"];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = tempDir("berth-tls-");
  dirs.push(d);
  return d;
}

const ca = await createCa("test", T0);
const server = await issueServerCert(ca, HOSTS, T0);
const caCert = new X509Certificate(ca.cert);
const serverCert = new X509Certificate(server.cert);
const other = await createCa("other", T0);

describe("the local CA and a server certificate", () => {
  test("the CA is a CA for ten years; the server certificate is not, names every host, and the CA signed it", () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toContain("CN=Berth local CA test");
    expect(caCert.validToDate.getTime()).toBe(Math.floor((T0 + 3650 * DAY) / 1000) * 1000);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.checkHost("reg.lan")).toBe("reg.lan");
    expect(serverCert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(serverCert.checkIP("::1")).toBe("::1");
    expect(serverCert.checkHost("other.lan")).toBeUndefined();
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.validToDate.getTime()).toBe(Math.floor((T0 + SERVER_LIFETIME_MS) / 1000) * 1000);
    expect(serverCert.serialNumber).not.toBe(caCert.serialNumber);
  });

  test("openssl agrees: the chain verifies for TLS servers, with CA:FALSE and serverAuth on the leaf", async () => {
    const d = dir();
    writeFileSync(join(d, "ca.crt"), ca.cert);
    writeFileSync(join(d, "server.crt"), server.cert);
    const attime = String(Math.floor((T0 + DAY) / 1000));
    const verify = Bun.spawnSync(["openssl", "verify", "-attime", attime, "-purpose", "sslserver", "-CAfile", join(d, "ca.crt"), join(d, "server.crt")]);
    expect(verify.stdout.toString()).toContain("OK");
    const text = Bun.spawnSync(["openssl", "x509", "-in", join(d, "server.crt"), "-noout", "-text"]).stdout.toString();
    expect(text).toContain("CA:FALSE");
    expect(text).toContain("TLS Web Server Authentication");
    expect(text).toContain("ecdsa-with-SHA256");
  });

  const cases: [string, () => string | undefined, string | undefined][] = [
    ["fresh: serves", () => renewalReason(serverCert, caCert, HOSTS, T0 + DAY), undefined],
    ["31 days left: serves", () => renewalReason(serverCert, caCert, HOSTS, T0 + SERVER_LIFETIME_MS - 31 * DAY), undefined],
    ["29 days left: renew", () => renewalReason(serverCert, caCert, HOSTS, T0 + SERVER_LIFETIME_MS - 29 * DAY), "it expires in 29 days"],
    ["expired: renew", () => renewalReason(serverCert, caCert, HOSTS, T0 + SERVER_LIFETIME_MS + DAY), "it has expired"],
    ["a host added: renew", () => renewalReason(serverCert, caCert, [...HOSTS, "10.0.0.9", "new.lan"], T0 + DAY), "it does not name 10.0.0.9, new.lan"],
    ["a host dropped: serves", () => renewalReason(serverCert, caCert, ["reg.lan"], T0 + DAY), undefined],
    ["another CA: renew", () => renewalReason(serverCert, new X509Certificate(other.cert), HOSTS, T0 + DAY), "the local CA did not sign it"],
    ["the clock went back: renew", () => renewalReason(serverCert, caCert, HOSTS, T0 - 2 * DAY), "it is not valid yet (was the clock set back?)"],
  ];
  for (const [name, reason, want] of cases) test(`renewalReason: ${name}`, () => expect(reason()).toBe(want));
});

describe("tls: auto files in the data directory", () => {
  test("first start makes the CA and the server certificate, owner-only; the next start reuses both", async () => {
    const data = dir();
    const first = await ensureAutoTls(data, HOSTS, "box", T0);
    expect(first.newCa).toBe(true);
    expect(first.made).toEqual(["a new local CA", `a server certificate for ${HOSTS.join(", ")}`]);
    const files = autoTlsFiles(data);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
    for (const f of [files.caCert, files.caKey, files.serverCert, files.serverKey]) expect(statSync(f).mode & 0o777).toBe(0o600);
    const again = await ensureAutoTls(data, HOSTS, "box", T0 + DAY);
    expect(again.made).toEqual([]);
    expect(again.newCa).toBe(false);
    expect(again.served).toEqual(first.served);
    expect(first.served.cert).toBe(readFileSync(files.serverCert, "utf8"));
  });

  test("renewal keeps the CA: a server certificate near its end, a new host, or a lost key is made anew", async () => {
    const data = dir();
    const files = autoTlsFiles(data);
    await ensureAutoTls(data, HOSTS, "box", T0);
    const caPem = readFileSync(files.caCert, "utf8");
    const ca = new X509Certificate(caPem);

    const nearEnd = await ensureAutoTls(data, HOSTS, "box", T0 + SERVER_LIFETIME_MS - 10 * DAY);
    expect(nearEnd.made).toHaveLength(1);
    expect(nearEnd.made[0]).toContain("it expires in 10 days");
    expect(nearEnd.server.validToDate.getTime()).toBeGreaterThan(T0 + SERVER_LIFETIME_MS);
    expect(nearEnd.server.verify(ca.publicKey)).toBe(true);

    const later = T0 + SERVER_LIFETIME_MS;
    const widened = await ensureAutoTls(data, [...HOSTS, "10.0.0.9"], "box", later);
    expect(widened.made[0]).toContain("it does not name 10.0.0.9");
    expect(widened.server.checkIP("10.0.0.9")).toBe("10.0.0.9");

    unlinkSync(files.serverKey);
    const rekeyed = await ensureAutoTls(data, HOSTS, "box", later);
    expect(rekeyed.made[0]).toContain("server.key is missing");
    expect(readFileSync(files.caCert, "utf8")).toBe(caPem);
    expect(rekeyed.newCa).toBe(false);
  });

  test("a CA whose key does not match is never replaced silently: start fails, naming the file", async () => {
    const data = dir();
    const files = autoTlsFiles(data);
    await ensureAutoTls(data, HOSTS, "box", T0);
    writeFileSync(files.caKey, (await createCa("x", T0)).key);
    const attempt = ensureAutoTls(data, HOSTS, "box", T0);
    expect(attempt).rejects.toThrow(CertificateError);
    expect(attempt).rejects.toThrow(`${files.caKey}: the key does not belong to the certificate`);
  });

  test("a CA near its ten years' end is replaced, and said so", async () => {
    const data = dir();
    await ensureAutoTls(data, HOSTS, "box", T0);
    const late = await ensureAutoTls(data, HOSTS, "box", T0 + 3640 * DAY);
    expect(late.newCa).toBe(true);
    expect(late.made[0]).toStartWith("a new local CA (the old one ends");
  });

  test("a data directory made by another umask still ends owner-only", async () => {
    const data = dir();
    const files = autoTlsFiles(data);
    await ensureAutoTls(data, HOSTS, "box", T0);
    chmodSync(files.dir, 0o755);
    await ensureAutoTls(data, HOSTS, "box", T0);
    expect(statSync(files.dir).mode & 0o777).toBe(0o700);
  });
});

describe("tlsCert / tlsKey files", () => {
  const write = (d: string, name: string, text: string) => {
    writeFileSync(join(d, name), text);
    return join(d, name);
  };

  test("a chain loads: the server's certificate first, intermediates counted", () => {
    const d = dir();
    const loaded = loadCertFiles(write(d, "chain.pem", server.cert + ca.cert), write(d, "key.pem", server.key), T0 + DAY);
    expect(loaded.intermediates).toBe(1);
    expect(loaded.server.serialNumber).toBe(serverCert.serialNumber);
    expect(parseChain(server.cert + "\n" + ca.cert, "x")).toHaveLength(2);
  });

  const refused: [string, (d: string) => [string, string], string][] = [
    ["a missing file", (d) => [join(d, "nope.pem"), write(d, "k", server.key)], "nope.pem: not found"],
    ["no certificate in it", (d) => [write(d, "c", "hello"), write(d, "k", server.key)], "no PEM certificate"],
    ["a broken certificate", (d) => [write(d, "c", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), write(d, "k", server.key)], "certificate 1 does not parse"],
    ["the CA's key for the server's certificate", (d) => [write(d, "c", server.cert), write(d, "k", ca.key)], "the key does not belong to the certificate"],
    ["a key that is no key", (d) => [write(d, "c", server.cert), write(d, "k", "nonsense")], "not a PEM private key"],
  ];
  for (const [name, paths, message] of refused) {
    test(`refused: ${name}`, () => {
      const [c, k] = paths(dir());
      expect(() => loadCertFiles(c, k, T0 + DAY)).toThrow(CertificateError);
      expect(() => loadCertFiles(c, k, T0 + DAY)).toThrow(message);
    });
  }

  test("refused: an expired certificate", () => {
    const d = dir();
    expect(() => loadCertFiles(write(d, "c", server.cert), write(d, "k", server.key), T0 + SERVER_LIFETIME_MS + DAY)).toThrow("the certificate expired on");
  });
});
