// A read-only registry end to end: the compiled binary fills a data directory in token mode, is
// restarted on it with BERTH_REGISTRY_STATE=readonly (a maintenance window, or a mirror), and
// skopeo pulls what was pushed byte for byte while its push is refused with Quay's read-only
// error. Then the rate limits as the binary applies them from BERTH_* settings.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { startBinary, tempDir, type BinaryServer } from "../support/server";
import { layoutBlobs, OciLayoutWriter, run, type LayoutDescriptor } from "../support/e2eHelpers";

const ADMIN_PASSWORD = "e2e-Admin-pw-1";
const READ_ONLY_MESSAGE = "System is currently read-only. Pulls will succeed but all write operations are currently suspended.";

let srv: BinaryServer;
let src: string;
let image: { manifest: LayoutDescriptor; config: LayoutDescriptor; layers: LayoutDescriptor[] };
const dirs: string[] = [];

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

const registry = () => `127.0.0.1:${srv.port}`;
const skopeo = (args: string[], allowFail = false) => run(["skopeo", "--insecure-policy", ...args], { allowFail });
const ADMIN = `admin:${ADMIN_PASSWORD}`;

beforeAll(async () => {
  const writable = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  dirs.push(writable.dataDir);
  src = dir("berth-ro-src-");
  const layout = new OciLayoutWriter(src);
  image = layout.addImage({ architecture: "amd64", layers: 2, layerSize: 256 * 1024 });
  layout.tag("v1", image.manifest);
  try {
    await skopeo(["copy", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", ADMIN, `oci:${src}:v1`, `docker://127.0.0.1:${writable.port}/admin/app:v1`]);
  } finally {
    await writable.stop();
  }
  srv = await startBinary({ dataDir: writable.dataDir, args: ["--auth", "token"], env: { BERTH_REGISTRY_STATE: "readonly" } });
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the binary with BERTH_REGISTRY_STATE=readonly", () => {
  test("skopeo pulls the image byte for byte", async () => {
    const dst = dir("berth-ro-dst-");
    await skopeo(["copy", "--src-tls-verify=false", "--preserve-digests", "--src-creds", ADMIN, `docker://${registry()}/admin/app:v1`, `oci:${dst}:v1`]);
    const pulled = layoutBlobs(dst);
    for (const d of [image.manifest, image.config, ...image.layers]) {
      const blob = pulled.get(d.digest);
      expect(blob?.actual).toBe(d.digest);
      expect(Buffer.compare(readFileSync(blob!.path), readFileSync(layoutBlobs(src).get(d.digest)!.path))).toBe(0);
    }
  });

  test("skopeo's push is refused with Quay's read-only error, and nothing is stored", async () => {
    const pushed = await skopeo(["copy", "--dest-tls-verify=false", "--dest-creds", ADMIN, `oci:${src}:v1`, `docker://${registry()}/admin/app:v2`], true);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain(READ_ONLY_MESSAGE);
    const tags = await run(["skopeo", "list-tags", "--tls-verify=false", "--creds", ADMIN, `docker://${registry()}/admin/app`]);
    expect(JSON.parse(tags.stdout).Tags).toEqual(["v1"]);
  });

  test("a push to a new repository is refused the same way and creates nothing", async () => {
    const pushed = await skopeo(["copy", "--dest-tls-verify=false", "--dest-creds", ADMIN, `oci:${src}:v1`, `docker://${registry()}/admin/new:v1`], true);
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain(READ_ONLY_MESSAGE);
    const listed = await run(["skopeo", "list-tags", "--tls-verify=false", "--creds", ADMIN, `docker://${registry()}/admin/new`], { allowFail: true });
    expect(listed.code).not.toBe(0);
  });

  test("/config says registry_state readonly, and the start says the lifecycle is off", async () => {
    const config = (await (await fetch(`${srv.url}/config`)).json()) as { registry_state: string };
    expect(config.registry_state).toBe("readonly");
    expect(srv.output()).toContain("registry state: readonly");
  });
});

describe("rate limits set by BERTH_* settings", () => {
  let limited: BinaryServer;
  beforeAll(async () => {
    limited = await startBinary({ env: { BERTH_RATE_LIMITS: "true", BERTH_RATE_LIMIT_V2_WRITES_BURST: "2", BERTH_RATE_LIMIT_V2_WRITES_PER_SECOND: "0.01" } });
    dirs.push(limited.dataDir);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  test("a third upload start is 429 TOOMANYREQUESTS with Retry-After; reads go on", async () => {
    const start = () => fetch(`${limited.url}/v2/ns/app/blobs/uploads/`, { method: "POST", headers: { "X-Forwarded-For": "192.0.2.1" } });
    expect((await start()).status).toBe(202);
    expect((await start()).status).toBe(202);
    const refused = await start();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("100");
    expect(((await refused.json()) as any).errors[0].code).toBe("TOOMANYREQUESTS");
    expect((await fetch(`${limited.url}/v2/ns/app/tags/list`)).status).toBe(200);
  });
});
