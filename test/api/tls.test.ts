// HTTPS in process: `tls: auto` serves a certificate its own CA signed (and the registry names
// itself https); tlsCert/tlsKey are taken again by reloadTls() (what SIGHUP calls) while a pull
// runs on the old certificate; a pair that does not load leaves the old one serving; the
// redirect port sends plain HTTP to HTTPS; a taken port still fails loudly.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueServerCert } from "../../src/tls/localCa";
import { freePort, startTestServer, tempDir, type TestServer } from "../support/server";
import { hashBody, MiB, resumedBody, SeededBytes, servedCertSerial, sha256Of } from "../support/e2eHelpers";

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
async function server(overrides: Record<string, string>, opts: { dataDir?: string } = {}): Promise<TestServer> {
  const s = await startTestServer(overrides, opts);
  cleanups.push(() => s.stop());
  return s;
}
function dir(): string {
  const d = tempDir("berth-tls-api-");
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const servedSerial = (url: string) => servedCertSerial(Number(new URL(url).port), caPem);
let caPem = "";
const serialOf = (pem: string) => new (require("node:crypto").X509Certificate)(pem).serialNumber.toUpperCase();

describe("tls: auto", () => {
  test("serves HTTPS with a certificate the local CA signed; untrusted clients are refused; the token realm is https", async () => {
    const s = await server({ tls: "auto", tlsHosts: "localhost,127.0.0.1", auth: "token" }, { dataDir: dir() });
    expect(s.url).toStartWith("https://127.0.0.1:");
    const ca = readFileSync(join(s.dataDir, "tls", "ca.crt"), "utf8");
    const res = await fetch(`${s.url}/v2/`, { tls: { ca } } as RequestInit);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(`realm="${s.url}/v2/auth"`);
    const health = await fetch(`${s.url}/health/instance`, { tls: { ca } } as RequestInit);
    expect(health.status).toBe(200);
    const untrusted = await fetch(`${s.url}/v2/`).then(
      () => "answered",
      (e) => e.code,
    );
    expect(untrusted).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });
});

describe("tlsCert / tlsKey", async () => {
  const d = tempDir("berth-tls-files-");
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  const ca = await createCa("test", Date.now());
  caPem = ca.cert;
  const first = await issueServerCert(ca, ["localhost", "127.0.0.1"], Date.now());
  const second = await issueServerCert(ca, ["localhost", "127.0.0.1"], Date.now());
  const certPath = join(d, "cert.pem");
  const keyPath = join(d, "key.pem");
  const install = (pair: { cert: string; key: string }) => {
    writeFileSync(certPath, pair.cert);
    writeFileSync(keyPath, pair.key);
  };

  test("reload while a pull runs: the pull ends whole on the old certificate; new connections get the new one", async () => {
    install(first);
    const s = await server({ tlsCert: certPath, tlsKey: keyPath });
    const tls = { ca: ca.cert };
    expect(await servedSerial(s.url)).toBe(serialOf(first.cert));
    const blob = Buffer.concat([...new SeededBytes("tls-reload").chunks(0, 48 * MiB, MiB)]);
    const digest = sha256Of(blob);
    const put = await fetch(`${s.url}/v2/tls/reload/blobs/uploads/?digest=${digest}`, { method: "POST", body: blob, tls } as RequestInit);
    expect(put.status).toBe(201);

    // The pull: its first bytes read, then it waits while the certificate changes.
    const res = await fetch(`${s.url}/v2/tls/reload/blobs/${digest}`, { tls } as RequestInit);
    const reader = res.body!.getReader();
    const head = await reader.read();
    install(second);
    expect(await s.server.reloadTls()).toContain("new connections get the new certificate");
    expect(await servedSerial(s.url)).toBe(serialOf(second.cert));
    expect(await hashBody(resumedBody(head.value!, reader))).toEqual({ digest, size: blob.byteLength });

    // A pair that does not load is refused with its reason; the current certificate goes on.
    writeFileSync(keyPath, first.key);
    expect(s.server.reloadTls()).rejects.toThrow("the key does not belong to the certificate");
    expect(await servedSerial(s.url)).toBe(serialOf(second.cert));
    expect((await fetch(`${s.url}/v2/`, { tls } as RequestInit)).status).toBe(200);
    install(second);
    expect(await s.server.reloadTls()).toBe("TLS: the certificate is unchanged");
  });

  test("the redirect port answers plain HTTP with 308 to the same path over HTTPS", async () => {
    install(first);
    const redirectPort = await freePort();
    const s = await server({ tlsCert: certPath, tlsKey: keyPath, tlsRedirectPort: String(redirectPort) });
    const tlsPort = new URL(s.url).port;
    for (const method of ["GET", "PUT"]) {
      const res = await fetch(`http://127.0.0.1:${redirectPort}/v2/ns/app/manifests/v1?x=1`, { method, redirect: "manual", body: method === "PUT" ? "{}" : undefined });
      expect(res.status).toBe(308);
      expect(res.headers.get("location")).toBe(`https://127.0.0.1:${tlsPort}/v2/ns/app/manifests/v1?x=1`);
    }
    // A Host outside the grammar is never echoed: 400, as on the TLS port.
    const raw = await fetch(`http://127.0.0.1:${redirectPort}/v2/`, { redirect: "manual", headers: { Host: "evil\"host" } });
    expect(raw.status).toBe(400);
    expect(raw.headers.get("location")).toBeNull();
  });

  test("a port already taken fails loudly with TLS too (the port is shared only between berth's own listeners)", async () => {
    install(first);
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, reusePort: true, fetch: () => new Response("other") });
    cleanups.push(() => taken.stop(true));
    expect(startTestServer({ tlsCert: certPath, tlsKey: keyPath, port: String(taken.port) })).rejects.toThrow();
    expect(await (await fetch(`http://127.0.0.1:${taken.port}/`)).text()).toBe("other");
  });
});
