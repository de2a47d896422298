// HTTPS against the compiled binary, with real clients and no --tls-verify=false:
// - `--tls auto`: the binary makes its CA and prints how to trust it; the printed steps are
//   followed (into a HOME's ~/.config/containers/certs.d, the rootless form of
//   /etc/containers/certs.d, and a Docker-style certs.d tree) and skopeo and podman push and pull
//   through them; without them the same clients refuse the registry. `berth tls ca` prints the
//   CA. A restart keeps the CA.
// - `--tls-cert/--tls-key` and SIGHUP: a pull runs while the certificate files change and the
//   process gets SIGHUP; the pull completes whole, and new connections get the new certificate.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueServerCert } from "../../src/tls/localCa";
import { buildBinary, startBinary, tempDir, type BinaryServer } from "../support/server";
import { hashBody, layoutBlobs, MiB, OciLayoutWriter, resumedBody, run, SeededBytes, servedCertSerial, sha256Of } from "../support/e2eHelpers";

const dirs: string[] = [];
const servers: BinaryServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** The printed command under `heading`, with the system directory moved to `into` and sudo dropped. */
function printedStep(output: string, heading: string, systemDir: string, into: string): string {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => l.trim().startsWith(heading));
  expect(at).toBeGreaterThan(-1);
  const command = lines[at + 1]!.trim();
  expect(command).toContain(systemDir);
  return command.replaceAll(systemDir, into).replaceAll("sudo ", "");
}

const podmanAvailable = Bun.which("podman") !== null;

describe("--tls auto with skopeo and podman", () => {
  let srv: BinaryServer;
  let home: string;
  let registry: string;
  let src: string;
  const podman = (...args: string[]) => {
    const store = join(home, "podman");
    return run(
      ["podman", "--root", join(store, "root"), "--runroot", join(store, "run"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file", ...args],
      { env: { HOME: home } },
    );
  };

  beforeAll(async () => {
    srv = await startBinary({ args: ["--tls", "auto"] });
    servers.push(srv);
    dirs.push(srv.dataDir);
    registry = `127.0.0.1:${srv.port}`;
    home = dir("berth-tls-home-");
    src = dir("berth-tls-src-");
    const layout = new OciLayoutWriter(src);
    const image = layout.addImage({ architecture: "amd64", layers: 2, layerSize: 2 * MiB });
    layout.tag("v1", image.manifest);
  });

  test("without the trust steps, clients refuse the registry's certificate", async () => {
    const out = await run(["skopeo", "--insecure-policy", "copy", `oci:${src}:v1`, `docker://${registry}/tls/app:v1`], { allowFail: true, env: { HOME: dir("berth-tls-untrusting-") } });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("certificate signed by unknown authority");
  });

  test("the printed containers step, followed: skopeo pushes and pulls byte for byte", async () => {
    // Printed at start for each name clients use, 127.0.0.1:<port> among them.
    expect(srv.output()).toContain(`'${registry}'`);
    const step = printedStep(srv.output(), "podman, skopeo, buildah", "/etc/containers/certs.d", join(home, ".config/containers/certs.d"));
    await run(["sh", "-c", step]);
    expect(readFileSync(join(home, ".config/containers/certs.d", registry, "ca.crt"), "utf8")).toBe(readFileSync(join(srv.dataDir, "tls/ca.crt"), "utf8"));

    await run(["skopeo", "--insecure-policy", "copy", "--preserve-digests", `oci:${src}:v1`, `docker://${registry}/tls/app:v1`], { env: { HOME: home } });
    const back = dir("berth-tls-back-");
    await run(["skopeo", "--insecure-policy", "copy", `docker://${registry}/tls/app:v1`, `oci:${back}:v1`], { env: { HOME: home } });
    const sent = layoutBlobs(src);
    const got = layoutBlobs(back);
    expect([...got.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [digest, info] of got) expect(info.actual).toBe(digest);
  });

  test("the printed Docker step, followed: a certs.d/<host:port>/ca.crt tree skopeo reads", async () => {
    const certsD = dir("berth-tls-docker-certs-");
    await run(["sh", "-c", printedStep(srv.output(), "Docker:", "/etc/docker/certs.d", certsD)]);
    const out = await run(["skopeo", "--insecure-policy", "inspect", "--cert-dir", join(certsD, registry), `docker://${registry}/tls/app:v1`], {
      env: { HOME: dir("berth-tls-untrusting-") },
    });
    expect(JSON.parse(out.stdout).Name).toBe(`${registry}/tls/app`);
  });

  test.skipIf(!podmanAvailable)("podman pulls and pushes through the same trust", async () => {
    await podman("pull", `${registry}/tls/app:v1`);
    await podman("tag", `${registry}/tls/app:v1`, `${registry}/tls/app:from-podman`);
    await podman("push", `${registry}/tls/app:from-podman`);
    const res = await fetch(`${srv.url}/v2/tls/app/manifests/from-podman`, {
      headers: { Accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
      tls: { ca: readFileSync(join(srv.dataDir, "tls/ca.crt"), "utf8") },
    } as RequestInit);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  test("`berth tls ca` prints the CA; a restart keeps it and makes nothing new", async () => {
    const bin = await buildBinary();
    const printed = await run([bin, "tls", "ca", "--data", srv.dataDir]);
    expect(printed.stdout).toBe(readFileSync(join(srv.dataDir, "tls/ca.crt"), "utf8"));
    expect(new X509Certificate(printed.stdout).ca).toBe(true);
    const none = await run([bin, "tls", "ca", "--data", dir("berth-tls-none-")], { allowFail: true });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("serve once with --tls auto");

    const data = srv.dataDir;
    await srv.stop();
    const again = await startBinary({ dataDir: data, args: ["--tls", "auto"] });
    servers.push(again);
    expect(again.output()).not.toContain("TLS: made");
    expect((await run([bin, "tls", "ca", "--data", data])).stdout).toBe(printed.stdout);
    // The trust set up before still works with the restarted server (its port changed).
    mkdirSync(join(home, ".config/containers/certs.d", `127.0.0.1:${again.port}`), { recursive: true });
    writeFileSync(join(home, ".config/containers/certs.d", `127.0.0.1:${again.port}`, "ca.crt"), printed.stdout);
    const out = await run(["skopeo", "--insecure-policy", "inspect", `docker://127.0.0.1:${again.port}/tls/app:v1`], { env: { HOME: home } });
    expect(JSON.parse(out.stdout).Name).toBe(`127.0.0.1:${again.port}/tls/app`);
  });
});

/** Waits until the server's output holds `text` (log lines are written in batches). */
async function saidSoon(srv: BinaryServer, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!srv.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`the server never said "${text}":\n${srv.output()}`);
    await Bun.sleep(20);
  }
}

test("SIGHUP while a pull runs: the pull completes; new connections get the new certificate", async () => {
  const d = dir("berth-tls-sighup-");
  const ca = await createCa("sighup", Date.now());
  const [first, second] = [await issueServerCert(ca, ["127.0.0.1"], Date.now()), await issueServerCert(ca, ["127.0.0.1"], Date.now())];
  const certPath = join(d, "server.crt");
  const keyPath = join(d, "server.key");
  writeFileSync(certPath, first.cert);
  writeFileSync(keyPath, first.key);
  const srv = await startBinary({ args: ["--tls-cert", certPath, "--tls-key", keyPath] });
  servers.push(srv);
  dirs.push(srv.dataDir);
  const tls = { ca: ca.cert };
  const serial = (pem: string) => new X509Certificate(pem).serialNumber.toUpperCase();
  expect(await servedCertSerial(srv.port, ca.cert)).toBe(serial(first.cert));

  const blob = Buffer.concat([...new SeededBytes("sighup").chunks(0, 64 * MiB, MiB)]);
  const digest = sha256Of(blob);
  const put = await fetch(`${srv.url}/v2/tls/sighup/blobs/uploads/?digest=${digest}`, { method: "POST", body: blob, tls } as RequestInit);
  expect(put.status).toBe(201);

  const pull = await fetch(`${srv.url}/v2/tls/sighup/blobs/${digest}`, { tls } as RequestInit);
  const reader = pull.body!.getReader();
  const head = await reader.read();
  writeFileSync(certPath, second.cert);
  writeFileSync(keyPath, second.key);
  srv.proc.kill("SIGHUP");
  const deadline = Date.now() + 10_000;
  // A connection opened in the instant the old listener closes may be reset (README, HTTPS): retry.
  while ((await servedCertSerial(srv.port, ca.cert).catch(() => "reset")) !== serial(second.cert)) {
    if (Date.now() > deadline) throw new Error(`no new certificate after SIGHUP:\n${srv.output()}`);
    await Bun.sleep(20);
  }
  expect(await hashBody(resumedBody(head.value!, reader))).toEqual({ digest, size: blob.byteLength });
  await saidSoon(srv, "SIGHUP: TLS: new connections get the new certificate");
  expect(srv.proc.exitCode).toBeNull(); // SIGHUP did not end it

  // A broken pair on disk: SIGHUP says why and the served certificate stays.
  writeFileSync(keyPath, first.key);
  srv.proc.kill("SIGHUP");
  await saidSoon(srv, "SIGHUP: the certificate was not reloaded");
  expect(await servedCertSerial(srv.port, ca.cert)).toBe(serial(second.cert));
});

test("a plain HTTP server takes SIGHUP without ending", async () => {
  const srv = await startBinary();
  servers.push(srv);
  dirs.push(srv.dataDir);
  srv.proc.kill("SIGHUP");
  await saidSoon(srv, "SIGHUP: TLS is off");
  expect((await fetch(`${srv.url}/v2/`)).status).toBe(200);
  expect(existsSync(join(srv.dataDir, "tls"))).toBe(false);
});
