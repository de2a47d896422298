// A read-only registry (registryState: readonly, Quay's REGISTRY_STATE) over a data directory a
// normal server filled: what still works (pulls, listings, sign-in, token issuance, reads of API
// v1) and what is refused, word for word as Quay refuses it. The operations × guards table in
// registryGuards.test.ts covers every registry change; this file covers the rest.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BearerRegistryClient, registryAuth, registryToken, utf8, type Image } from "../support/registryClient";
import { startTestServer, type TestServer } from "../support/server";
import { signedIn, V1Client } from "../support/v1Client";

const ADMIN_PASSWORD = "admin-Secret-1";
const READ_ONLY_MESSAGE = "System is currently read-only. Pulls will succeed but all write operations are currently suspended.";
const REPO = "admin/mirrored";

let normal: TestServer;
let readOnly: TestServer;
let image: Image;
/** The path of an upload session opened while the registry was still writable. */
let openUpload: string;

beforeAll(async () => {
  normal = await startTestServer({ auth: "token" }, { adminPassword: ADMIN_PASSWORD });
  const v2 = new BearerRegistryClient(normal.url, await registryToken(normal.url, ["admin", ADMIN_PASSWORD], `repository:${REPO}:pull,push`));
  image = await v2.pushImage(REPO, "v1", { layers: 2, layerSize: 64 });
  openUpload = new URL(await v2.startUpload(REPO)).pathname;
  // A maintenance restart: the same data directory, read-only. (The normal server stays up: two
  // processes on one SQLite directory is what the CLI does beside a server.)
  readOnly = await startTestServer({ auth: "token", registryState: "readonly" }, { dataDir: normal.dataDir });
});
afterAll(async () => {
  await readOnly?.stop();
  await normal?.stop();
});

async function pushToken(repo: string): Promise<string> {
  return registryToken(readOnly.url, ["admin", ADMIN_PASSWORD], `repository:${repo}:pull,push`);
}

async function expectReadOnlyV2(res: Response) {
  expect(res.status).toBe(405);
  expect(await res.json()).toEqual({ errors: [{ code: "DENIED", message: READ_ONLY_MESSAGE, detail: {}, is_readonly: true }] });
}

async function expectReadOnlyV1(res: Response) {
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ message: READ_ONLY_MESSAGE, is_readonly: true });
}

describe("/v2 on a read-only registry", () => {
  test("pulls work: the manifest and its blobs byte for byte, the tag list", async () => {
    const v2 = new BearerRegistryClient(readOnly.url, await pushToken(REPO));
    const manifest = await v2.fetch(`/v2/${REPO}/manifests/v1`, { headers: { Accept: image.mediaType } });
    expect(manifest.status).toBe(200);
    expect(new Uint8Array(await manifest.arrayBuffer())).toEqual(new Uint8Array(image.bytes));
    for (const layer of image.layers) {
      const blob = await v2.fetch(`/v2/${REPO}/blobs/${layer.digest}`);
      expect(blob.status).toBe(200);
      expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array(layer.bytes));
    }
    expect(await (await v2.fetch(`/v2/${REPO}/tags/list`)).json()).toEqual({ name: REPO, tags: ["v1"] });
  });

  test("a push is refused with Quay's ReadOnlyMode error, after the permission check", async () => {
    const v2 = new BearerRegistryClient(readOnly.url, await pushToken(REPO));
    await expectReadOnlyV2(await v2.fetch(`/v2/${REPO}/blobs/uploads/`, { method: "POST" }));
    await expectReadOnlyV2(await v2.fetch(`/v2/${REPO}/manifests/v2`, { method: "PUT", headers: { "Content-Type": image.mediaType }, body: image.bytes }));
    // Without a token the answer is the challenge, as for any write: nothing is told to anonymous callers first.
    const anonymous = await fetch(`${readOnly.url}/v2/${REPO}/blobs/uploads/`, { method: "POST" });
    expect(anonymous.status).toBe(401);
  });

  test("bytes for an upload opened before the switch are refused, and the session keeps none of them", async () => {
    const v2 = new BearerRegistryClient(readOnly.url, await pushToken(REPO));
    // Its status is a read: answered, before and after.
    const before = await v2.fetch(openUpload);
    expect(before.status).toBe(204);
    await expectReadOnlyV2(await v2.fetch(openUpload, { method: "PATCH", body: utf8("late bytes") }));
    const after = await v2.fetch(openUpload);
    expect(after.status).toBe(204);
    expect(after.headers.get("range")).toBe(before.headers.get("range"));
    const repoId = (await readOnly.server.ctx.stores.repositories.find(REPO))!.id;
    expect(await readOnly.server.ctx.stores.uploads.offset(repoId, openUpload.split("/").pop()!)).toBe(0);
  });

  test("a push token for a missing repository is issued but creates nothing; the push is refused as read-only", async () => {
    const repo = "admin/never-made";
    const res = await registryAuth(readOnly.url, ["admin", ADMIN_PASSWORD], `repository:${repo}:pull,push`);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect((await readOnly.server.ctx.stores.repositories.find(repo))).toBeUndefined();
    await expectReadOnlyV2(await new BearerRegistryClient(readOnly.url, token).fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST" }));
    expect((await readOnly.server.ctx.stores.repositories.find(repo))).toBeUndefined();
  });
});

describe("API v1 on a read-only registry", () => {
  test("sign-in works and reads answer; writes that are not registry changes get Quay's 503", async () => {
    const v1 = await signedIn(readOnly.url, "admin", ADMIN_PASSWORD);
    expect((await v1.get("/api/v1/user/")).status).toBe(200);
    expect((await v1.get(`/api/v1/repository/${REPO}/tag/`)).status).toBe(200);
    await expectReadOnlyV1(await v1.post("/api/v1/organization/", { name: "neworg" }));
    await expectReadOnlyV1(await v1.post("/api/v1/user/apptoken", { title: "ci" }));
    await expectReadOnlyV1(await v1.post("/api/v1/repository", { namespace: "admin", repository: "fresh", visibility: "private", description: "" }));
    await expectReadOnlyV1(await v1.fetch(`/api/v1/repository/${REPO}`, { method: "DELETE" }));
    expect(await readOnly.server.ctx.stores.orgs.namespace("neworg")).toBeUndefined();
    expect(await readOnly.server.ctx.stores.repositories.find("admin/fresh")).toBeUndefined();
    expect(await readOnly.server.ctx.stores.repositories.find(REPO)).toBeDefined();
    // Signing out ends every session of the user (a write): refused, as in Quay.
    await expectReadOnlyV1(await v1.post("/api/v1/signout", {}));
  });

  test("a wrong password is still refused (sign-in is allowed, not open)", async () => {
    const res = await new V1Client(readOnly.url).signinRaw("admin", "wrong-password");
    expect(res.status).toBe(403);
  });

  test("/config reports registry_state as Quay's does", async () => {
    expect(((await (await fetch(`${readOnly.url}/config`)).json()) as any).registry_state).toBe("readonly");
    expect(((await (await fetch(`${normal.url}/config`)).json()) as any).registry_state).toBe("normal");
  });
});

describe("the lifecycle of a read-only registry", () => {
  test("no pass runs: nothing is collected, pruned or reconciled", async () => {
    expect(await readOnly.server.ctx.lifecycle.runOnce()).toEqual([]);
    expect((await normal.server.ctx.lifecycle.runOnce()).length).toBeGreaterThan(0);
  });

  test("the registry core refuses every change itself, whichever caller asks", async () => {
    const ctx = readOnly.server.ctx;
    const repo = (await ctx.stores.repositories.find(REPO))!;
    const ref = { id: repo.id, name: repo.fullName };
    expect((await ctx.registry.deleteTag({ repo: ref, tag: "v1", actor: {} })).kind).toBe("registryReadOnly");
    expect((await ctx.registry.changeVisibility({ repo: ref, visibility: "public", actor: {} })).kind).toBe("registryReadOnly");
    expect((await ctx.registry.deleteRepository({ repo: ref, actor: {} })).kind).toBe("registryReadOnly");
    expect((await ctx.registry.createRepository({ fullName: "admin/other", visibility: "private", actor: {} })).kind).toBe("registryReadOnly");
    expect((await ctx.registry.purgeTagPeriods({ repo: ref, endedByMs: Date.now(), limit: 10 })).kind).toBe("registryReadOnly");
    expect((await ctx.stores.tags.history(repo.id, { offset: 0, limit: 10 })).map((t) => [t.name, t.endMs])).toEqual([["v1", undefined]]);
  });
});
