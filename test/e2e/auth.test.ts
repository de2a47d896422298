// Token auth end to end: the compiled binary in token mode, accounts made with its own CLI on the
// same data directory while it serves, and skopeo logging in, pushing with a robot's
// credentials, pulling anonymously (public yes, private no), and being refused without write.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, startBinary, tempDir, type BinaryServer } from "../support/server";
import { backendEnv } from "../support/e2eBackend";
import { storesOf } from "../support/e2eStored";
import { layoutBlobs, layoutRef, OciLayoutWriter, run, type LayoutDescriptor } from "../support/e2eHelpers";

const ADMIN_PASSWORD = "e2e-Admin-pw-1";
const ALICE_PASSWORD = "e2e-Alice-pw-1";
const BOB_PASSWORD = "e2e-Bob-pw-1";

let srv: BinaryServer;
let bin: string;
let robotToken: string;
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

/** `berth …` (the compiled binary's CLI) on the server's data directory; stdin optional. */
async function berth(args: string[], stdin?: string): Promise<string> {
  const proc = Bun.spawn([bin, ...args, "--data", srv.dataDir], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...(await backendEnv(srv.dataDir)) },
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`berth ${args.join(" ")} exited ${code}: ${err}${out}`);
  return out.trim();
}

/** Polls an anonymous GET until it answers `status` (at most 2 s). */
async function untilStatus(url: string, status: number): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status === status) return;
    if (Date.now() > deadline) throw new Error(`${url}: still ${res.status}, wanted ${status}`);
    await Bun.sleep(20);
  }
}

beforeAll(async () => {
  bin = await buildBinary();
  srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  dirs.push(srv.dataDir);

  // Accounts through the CLI while the server runs.
  expect(await berth(["user", "add", "alice", "--email", "alice@example.com", "--password-stdin"], `${ALICE_PASSWORD}\n`)).toBe("created user alice");
  expect(await berth(["user", "add", "bob", "--password-stdin"], `${BOB_PASSWORD}\n`)).toBe("created user bob");
  expect(await berth(["org", "add", "acme", "--owner", "alice"])).toContain("created organization acme");
  robotToken = await berth(["robot", "add", "acme+ci"]);
  expect(robotToken).toMatch(/^[A-Z0-9]{64}$/);
  // Teams have no CLI yet: put the robot in a creator team of acme directly.
  const stores = await storesOf(srv.dataDir);
  try {
    const ns = (await stores.orgs.namespace("acme"))!;
    const team = await stores.teams.setTeam(ns.id, "builders", "creator");
    await stores.teams.addMember(team, { robotId: (await stores.robots.byName("acme+ci"))!.id });
  } finally {
    await stores.close();
  }

  src = dir("berth-auth-src-");
  const layout = new OciLayoutWriter(src);
  image = layout.addImage({ layers: 2, layerSize: 64 * 1024 });
  layout.tag("v1", image.manifest);
});

afterAll(async () => {
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("skopeo against token auth", () => {
  test("skopeo login as the bootstrap admin (and a wrong password fails)", async () => {
    const authfile = join(dir("berth-authfile-"), "auth.json");
    const ok = await skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "admin", "-p", ADMIN_PASSWORD, registry()]);
    expect(ok.stdout).toContain("Login Succeeded");
    expect(JSON.parse(readFileSync(authfile, "utf8")).auths[registry()]).toBeDefined();

    const badfile = join(dir("berth-authfile-"), "auth.json");
    const bad = await skopeo(["login", "--tls-verify=false", "--authfile", badfile, "-u", "admin", "-p", "not-the-password", registry()], true);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.toLowerCase()).toMatch(/invalid username\/password|unauthorized/);
    expect(existsSync(badfile)).toBe(false);
  });

  test("a robot pushes with --dest-creds (creating private repositories in its org)", async () => {
    for (const repo of ["acme/app", "acme/private"]) {
      await skopeo([
        "copy", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", `acme+ci:${robotToken}`,
        `oci:${src}:v1`, `docker://${registry()}/${repo}:v1`,
      ]);
    }
    // The pushed manifest is there, under admin's login (skopeo's authfile from `skopeo login`).
    const authfile = join(dir("berth-authfile-"), "auth.json");
    await skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "admin", "-p", ADMIN_PASSWORD, registry()]);
    const inspect = await skopeo(["inspect", "--raw", "--tls-verify=false", "--authfile", authfile, `docker://${registry()}/acme/app:v1`]);
    expect(new Bun.CryptoHasher("sha256").update(inspect.stdout).digest("hex")).toBe(image.manifest.digest.slice(7));
  });

  test("anonymous pull: a repository made public by the CLI works, a private one fails", async () => {
    const closed = await skopeo(["copy", "--src-tls-verify=false", "--src-no-creds", `docker://${registry()}/acme/app:v1`, `oci:${dir("berth-auth-x-")}:v1`], true);
    expect(closed.code).not.toBe(0);

    expect(await berth(["repo", "visibility", "acme/app", "public"])).toBe("acme/app is now public");
    // The server notices another process's write within a fraction of a second.
    await untilStatus(`${srv.url}/v2/acme/app/manifests/v1`, 200);
    const dst = dir("berth-auth-dst-");
    await skopeo(["copy", "--src-tls-verify=false", "--src-no-creds", "--preserve-digests", `docker://${registry()}/acme/app:v1`, `oci:${dst}:v1`]);
    expect(layoutRef(dst, "v1")?.digest).toBe(image.manifest.digest);
    const got = layoutBlobs(dst);
    for (const d of [image.manifest, image.config, ...image.layers]) {
      expect(got.get(d.digest)?.actual).toBe(d.digest);
      expect(got.get(d.digest)?.size).toBe(d.size);
    }

    const priv = await skopeo(["copy", "--src-tls-verify=false", "--src-no-creds", `docker://${registry()}/acme/private:v1`, `oci:${dir("berth-auth-y-")}:v1`], true);
    expect(priv.code).not.toBe(0);
    expect(priv.stderr.toLowerCase()).toMatch(/unauthorized|authentication required/);

    // And private again through the CLI: closed again.
    await berth(["repo", "visibility", "acme/app", "private"]);
    await untilStatus(`${srv.url}/v2/acme/app/manifests/v1`, 401);
    const again = await skopeo(["copy", "--src-tls-verify=false", "--src-no-creds", `docker://${registry()}/acme/app:v1`, `oci:${dir("berth-auth-z-")}:v1`], true);
    expect(again.code).not.toBe(0);
  });

  test("a user without write is refused on push, and nothing changes", async () => {
    const other = dir("berth-auth-other-");
    const layout = new OciLayoutWriter(other);
    const img = layout.addImage({ layers: 1, layerSize: 16 * 1024 });
    layout.tag("v1", img.manifest);
    const refused = await skopeo(
      ["copy", "--dest-tls-verify=false", "--dest-creds", `bob:${BOB_PASSWORD}`, `oci:${other}:v1`, `docker://${registry()}/acme/app:bob`],
      true,
    );
    expect(refused.code).not.toBe(0);
    // Bob is logged in: he is told access was denied, not asked to authenticate.
    expect(refused.stderr.toLowerCase()).toContain("requested access to the resource is denied");
    expect(refused.stderr.toLowerCase()).not.toContain("authentication required");
    // Nor into a namespace bob has nothing in.
    const elsewhere = await skopeo(
      ["copy", "--dest-tls-verify=false", "--dest-creds", `bob:${BOB_PASSWORD}`, `oci:${other}:v1`, `docker://${registry()}/alice/bobs:v1`],
      true,
    );
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr.toLowerCase()).toContain("requested access to the resource is denied");
    const tags = await skopeo(["list-tags", "--tls-verify=false", "--creds", `alice:${ALICE_PASSWORD}`, `docker://${registry()}/acme/app`]);
    expect(JSON.parse(tags.stdout).Tags).toEqual(["v1"]);
  });

  test("skopeo list-tags with credentials; without them a private repository is refused", async () => {
    const asAlice = await skopeo(["list-tags", "--tls-verify=false", "--creds", `alice:${ALICE_PASSWORD}`, `docker://${registry()}/acme/private`]);
    expect(JSON.parse(asAlice.stdout)).toEqual({ Repository: `${registry()}/acme/private`, Tags: ["v1"] });
    const asRobot = await skopeo(["list-tags", "--tls-verify=false", "--creds", `acme+ci:${robotToken}`, `docker://${registry()}/acme/private`]);
    expect(JSON.parse(asRobot.stdout).Tags).toEqual(["v1"]);
    const asBob = await skopeo(["list-tags", "--tls-verify=false", "--creds", `bob:${BOB_PASSWORD}`, `docker://${registry()}/acme/private`], true);
    expect(asBob.code).not.toBe(0);
    const anonymous = await skopeo(["list-tags", "--tls-verify=false", "--no-creds", `docker://${registry()}/acme/private`], true);
    expect(anonymous.code).not.toBe(0);
  });

  test("$oauthtoken: a token from `berth token create` logs in, pushes with repo:write, only pulls with repo:read", async () => {
    const writer = await berth(["token", "create", "--user", "alice", "--scopes", "repo:read repo:write repo:create"]);
    const reader = await berth(["token", "create", "--user", "alice", "--scopes", "repo:read"]);
    const authfile = join(dir("berth-authfile-"), "auth.json");
    const login = await skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "$oauthtoken", "-p", writer, registry()]);
    expect(login.stdout).toContain("Login Succeeded");
    await skopeo(["copy", "--dest-tls-verify=false", "--preserve-digests", "--authfile", authfile, `oci:${src}:v1`, `docker://${registry()}/alice/oauth-app:v1`]);

    const refused = await skopeo(
      ["copy", "--dest-tls-verify=false", "--dest-creds", `$oauthtoken:${reader}`, `oci:${src}:v1`, `docker://${registry()}/alice/oauth-app:v2`],
      true,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.toLowerCase()).toContain("requested access to the resource is denied");
    const tags = await skopeo(["list-tags", "--tls-verify=false", "--creds", `$oauthtoken:${reader}`, `docker://${registry()}/alice/oauth-app`]);
    expect(JSON.parse(tags.stdout).Tags).toEqual(["v1"]);

    const wrong = await skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "$oauthtoken", "-p", "not-a-token", registry()], true);
    expect(wrong.code).not.toBe(0);
  });

  test("a user disabled by the CLI cannot log in any more", async () => {
    const authfile = join(dir("berth-authfile-"), "auth.json");
    writeFileSync(authfile, "{}");
    await skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "bob", "-p", BOB_PASSWORD, registry()]);
    expect(await berth(["user", "disable", "bob"])).toBe("user bob disabled");
    const refused = await skopeo(["login", "--tls-verify=false", "--authfile", authfile, "-u", "bob", "-p", BOB_PASSWORD, registry()], true);
    expect(refused.code).not.toBe(0);
  });
});
