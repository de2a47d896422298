// The registry core's guards as each API shows them: every operation (as /v2 and as API v1
// perform it) against every guarded condition (an immutable tag, a tag an immutability policy
// made immutable as it was pushed, a read-only repository, an expired tag, a namespace over its
// quota, a read-only registry), the answer each API gives, and that a refusal changes nothing.
// Then: the same change made through either API writes the same audit entry.
import { afterAll, afterEach, beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import type { Stores } from "../../src/store";
import { BearerRegistryClient, registryToken, utf8, type Image, type RegistryClient } from "../support/registryClient";
import { startTestServer, type TestServer } from "../support/server";
import { signedIn, type V1Client } from "../support/v1Client";


const ADMIN_PASSWORD = "admin-Secret-1";
let server: TestServer;
/** The same data directory served read-only (registryState: readonly), as a maintenance restart would. */
let readOnlyServer: TestServer;
let stores: Stores;
let v1: V1Client;
/** Signed in on the read-only server: signing in still works there. */
let readOnlyV1: V1Client;
let mirrorRobotToken: string;

beforeAll(async () => {
  // Both APIs as the same superuser: the guards are what is tested, and audit entries compare.
  server = await startTestServer({ auth: "token", mirrorPollSeconds: "0" }, { adminPassword: ADMIN_PASSWORD });
  stores = server.server.ctx.stores;
  v1 = await signedIn(server.url, "admin", ADMIN_PASSWORD);
  readOnlyServer = await startTestServer({ auth: "token", registryState: "readonly" }, { dataDir: server.dataDir });
  readOnlyV1 = await signedIn(readOnlyServer.url, "admin", ADMIN_PASSWORD);
  mirrorRobotToken = ((await (await v1.fetch("/api/v1/user/robots/guardsmirror", { method: "PUT" })).json()) as { token: string }).token;
});
afterAll(async () => {
  await readOnlyServer?.stop();
  await server?.stop();
});
afterEach(() => setSystemTime());

let counter = 0;
const EXPIRY_MS = 60_000;

interface World {
  repo: string;
  /** /v2 as admin, with a token for the repository. */
  v2: RegistryClient;
  /** Tagged v1. */
  image: Image;
  /** Pushed by digest only. */
  other: Image;
  /** API v1 as admin (on the read-only server for that condition). */
  v1: V1Client;
}

type Condition = "none" | "immutable" | "policy" | "readOnly" | "mirror" | "expired" | "overQuota" | "registryReadOnly";
const CONDITION_NAMES: Record<Condition, string> = {
  none: "nothing in the way",
  immutable: "an immutable tag",
  policy: "a tag an immutability policy names",
  readOnly: "a read-only repository",
  mirror: "a mirror (MIRROR state; its robot is another)",
  expired: "an expired tag",
  overQuota: "a namespace over its quota",
  registryReadOnly: "a read-only registry",
};

const tagPath = (w: World, tag = "v1") => `/api/v1/repository/${w.repo}/tag/${tag}`;

const mirrorConfig = () => ({
  external_reference: "registry.example/ns/app",
  root_rule: { rule_kind: "tag_glob_csv", rule_value: ["*"] },
  sync_interval: 3600,
  sync_start_date: "2030-01-01T00:00:00Z",
  skopeo_timeout_interval: 300,
  robot_username: "admin+guardsmirror",
});

async function world(condition: Condition): Promise<World> {
  // Over quota: an organization of its own, so the quota stops nothing else.
  const ns = condition === "overQuota" ? `guards-q${++counter}` : "admin";
  if (condition === "overQuota") expect((await v1.post("/api/v1/organization/", { name: ns })).status).toBe(201);
  const repo = `${ns}/guards-${++counter}`;
  const v2 = new BearerRegistryClient(server.url, await registryToken(server.url, ["admin", ADMIN_PASSWORD], `repository:${repo}:pull,push,delete`));
  if (condition === "policy") {
    // The policy comes first (the push token made the repository): the push itself makes v1 immutable.
    expect((await v1.fetch(`/api/v1/repository/${repo}/immutabilitypolicy/`, { json: { tagPattern: "^v1$" } })).status).toBe(201);
  }
  const image = await v2.pushImage(repo, "v1", { layers: 1, layerSize: 32 });
  const other = await v2.pushImage(repo, undefined, { layers: 1, layerSize: 33 });
  const w = { repo, v2, image, other, v1 };
  if (condition === "immutable") expect((await v1.fetch(tagPath(w), { method: "PUT", json: { immutable: true } })).status).toBe(201);
  if (condition === "expired") {
    expect((await v1.fetch(tagPath(w), { method: "PUT", json: { expiration: Math.floor((Date.now() + EXPIRY_MS) / 1000) } })).status).toBe(201);
    setSystemTime(new Date(Date.now() + 2 * EXPIRY_MS));
  }
  if (condition === "overQuota") {
    // A 1-byte quota with a Reject limit: the two images are far past it.
    expect((await v1.post(`/api/v1/superuser/organization/${ns}/quota`, { limit_bytes: 1 })).status).toBe(201);
    const [quota] = (await (await v1.get(`/api/v1/organization/${ns}/quota`)).json()) as { id: number }[];
    expect((await v1.post(`/api/v1/organization/${ns}/quota/${quota!.id}/limit`, { type: "Reject", threshold_percent: 100 })).status).toBe(201);
  }
  // A mirror: its robot may write, the admin no longer (the worker never runs here: mirrorPollSeconds 0).
  if (condition === "mirror") expect((await v1.fetch(`/api/v1/repository/${repo}/mirror`, { json: mirrorConfig() })).status).toBe(201);
  // Last: a read-only repository takes no writes, not even the setup's.
  if (condition === "readOnly") expect((await v1.fetch(`/api/v1/repository/${repo}/changestate`, { method: "PUT", json: { state: "READ_ONLY" } })).status).toBe(200);
  // The same registry served read-only: a token it issues (it still grants push, as Quay's does,
  // so the write meets the read-only answer) and the admin's session there.
  if (condition === "registryReadOnly") {
    const token = await registryToken(readOnlyServer.url, ["admin", ADMIN_PASSWORD], `repository:${repo}:pull,push,delete`);
    return { ...w, v2: new BearerRegistryClient(readOnlyServer.url, token), v1: readOnlyV1 };
  }
  return w;
}

/** What a client reads off an answer: the status and the error code or type. */
async function answer(res: Response): Promise<string> {
  if (res.status < 400) return String(res.status);
  const body = (await res.json()) as any;
  return `${res.status} ${body.errors?.[0]?.code ?? body.error_type ?? body.message}`;
}

type Act = (w: World) => Promise<Response>;
const v2Ops: Record<string, Act> = {
  "move the tag (manifest PUT by tag)": (w) => w.v2.fetch(`/v2/${w.repo}/manifests/v1`, { method: "PUT", headers: { "Content-Type": w.other.mediaType }, body: w.other.bytes }),
  "delete the tag": (w) => w.v2.fetch(`/v2/${w.repo}/manifests/v1`, { method: "DELETE" }),
  "delete the manifest": (w) => w.v2.fetch(`/v2/${w.repo}/manifests/${w.image.digest}`, { method: "DELETE" }),
  "start an upload": (w) => w.v2.fetch(`/v2/${w.repo}/blobs/uploads/`, { method: "POST" }),
  "upload a blob in one request": (w) => {
    const bytes = utf8(`blob-${w.repo}`);
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
    return w.v2.fetch(`/v2/${w.repo}/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes });
  },
  "mount a blob": (w) => w.v2.fetch(`/v2/${w.repo}/blobs/uploads/?mount=${w.image.layers[0]!.digest}&from=${w.repo}`, { method: "POST" }),
  "delete a blob": (w) => w.v2.fetch(`/v2/${w.repo}/blobs/${w.other.layers[0]!.digest}`, { method: "DELETE" }),
};
const v1Ops: Record<string, Act> = {
  "move the tag (manifest PUT by tag)": (w) => w.v1.fetch(tagPath(w), { method: "PUT", json: { manifest_digest: w.other.digest } }),
  "delete the tag": (w) => w.v1.fetch(tagPath(w), { method: "DELETE" }),
  "restore the tag": (w) => w.v1.fetch(`${tagPath(w)}/restore`, { json: { manifest_digest: w.image.digest } }),
  "set an expiry": (w) => w.v1.fetch(tagPath(w), { method: "PUT", json: { expiration: Math.floor((Date.now() + 3 * EXPIRY_MS) / 1000) } }),
  "make it immutable": (w) => w.v1.fetch(tagPath(w), { method: "PUT", json: { immutable: true } }),
};

const READ_ONLY_MESSAGE = "System is currently read-only. Pulls will succeed but all write operations are currently suspended.";

// [operation, condition, what /v2 answers, what API v1 answers] ("—": the API has no such call).
const TABLE: [string, Condition, string, string][] = [
  ["move the tag (manifest PUT by tag)", "none", "201", "201"],
  ["move the tag (manifest PUT by tag)", "immutable", "409 DENIED", "409 tag_immutable"],
  ["move the tag (manifest PUT by tag)", "policy", "409 DENIED", "409 tag_immutable"],
  ["move the tag (manifest PUT by tag)", "readOnly", "405 UNSUPPORTED", "503 Repository is in read only or mirror mode: READ_ONLY"],
  ["move the tag (manifest PUT by tag)", "expired", "201", "201"],
  ["delete the tag", "none", "202", "204"],
  ["delete the tag", "immutable", "409 DENIED", "409 tag_immutable"],
  ["delete the tag", "policy", "409 DENIED", "409 tag_immutable"],
  ["delete the tag", "readOnly", "405 UNSUPPORTED", "503 Repository is in read only or mirror mode: READ_ONLY"],
  ["delete the tag", "expired", "404 MANIFEST_UNKNOWN", "404 not_found"],
  ["delete the manifest", "none", "202", "—"],
  ["delete the manifest", "immutable", "409 DENIED", "—"],
  ["delete the manifest", "policy", "409 DENIED", "—"],
  ["delete the manifest", "readOnly", "405 UNSUPPORTED", "—"],
  ["delete the manifest", "expired", "202", "—"],
  ["restore the tag", "none", "—", "200"],
  ["restore the tag", "immutable", "—", "409 tag_immutable"],
  ["restore the tag", "policy", "—", "409 tag_immutable"],
  ["restore the tag", "readOnly", "—", "503 Repository is in read only or mirror mode: READ_ONLY"],
  ["restore the tag", "expired", "—", "200"],
  ["set an expiry", "none", "—", "201"],
  ["set an expiry", "immutable", "—", "409 tag_immutable"],
  ["set an expiry", "policy", "—", "409 tag_immutable"],
  ["set an expiry", "readOnly", "—", "503 Repository is in read only or mirror mode: READ_ONLY"],
  ["set an expiry", "expired", "—", "404 not_found"],
  ["make it immutable", "none", "—", "201"],
  ["make it immutable", "readOnly", "—", "503 Repository is in read only or mirror mode: READ_ONLY"],
  ["make it immutable", "expired", "—", "404 not_found"],
  ["start an upload", "none", "202", "—"],
  ["start an upload", "readOnly", "405 UNSUPPORTED", "—"],
  ["upload a blob in one request", "none", "201", "—"],
  ["upload a blob in one request", "readOnly", "405 UNSUPPORTED", "—"],
  ["mount a blob", "none", "201", "—"],
  ["mount a blob", "readOnly", "405 UNSUPPORTED", "—"],
  ["delete a blob", "none", "202", "—"],
  ["delete a blob", "readOnly", "405 UNSUPPORTED", "—"],
  // A mirror: every writer but the mirror's robot is refused, as READ_ONLY refuses everyone.
  ["move the tag (manifest PUT by tag)", "mirror", "405 UNSUPPORTED", "503 Repository is in read only or mirror mode: MIRROR"],
  ["delete the tag", "mirror", "405 UNSUPPORTED", "503 Repository is in read only or mirror mode: MIRROR"],
  ["delete the manifest", "mirror", "405 UNSUPPORTED", "—"],
  ["restore the tag", "mirror", "—", "503 Repository is in read only or mirror mode: MIRROR"],
  ["set an expiry", "mirror", "—", "503 Repository is in read only or mirror mode: MIRROR"],
  ["make it immutable", "mirror", "—", "503 Repository is in read only or mirror mode: MIRROR"],
  ["start an upload", "mirror", "405 UNSUPPORTED", "—"],
  ["upload a blob in one request", "mirror", "405 UNSUPPORTED", "—"],
  ["mount a blob", "mirror", "405 UNSUPPORTED", "—"],
  ["delete a blob", "mirror", "405 UNSUPPORTED", "—"],
  // Over quota: what adds to the namespace is refused on /v2 (Quay's 403 DENIED), even a
  // manifest already counted; deleting is never refused, and API v1 adds no bytes (Quay checks
  // quotas only on /v2 pushes).
  ["move the tag (manifest PUT by tag)", "overQuota", "403 DENIED", "201"],
  ["start an upload", "overQuota", "403 DENIED", "—"],
  ["upload a blob in one request", "overQuota", "403 DENIED", "—"],
  ["mount a blob", "overQuota", "403 DENIED", "—"],
  ["delete the tag", "overQuota", "202", "204"],
  ["delete the manifest", "overQuota", "202", "—"],
  ["delete a blob", "overQuota", "202", "—"],
  ["restore the tag", "overQuota", "—", "200"],
  ["set an expiry", "overQuota", "—", "201"],
  ["make it immutable", "overQuota", "—", "201"],
  // A read-only registry (registryState: readonly): every write refused as Quay refuses it, /v2
  // with its ReadOnlyMode (405 DENIED), API v1 with its ReadOnlyModeException answer (503).
  ...Object.keys({ ...v2Ops, ...v1Ops }).map((op): [string, Condition, string, string] => [
    op,
    "registryReadOnly",
    op in v2Ops ? "405 DENIED" : "—",
    op in v1Ops ? `503 ${READ_ONLY_MESSAGE}` : "—",
  ]),
];

/** What a refusal must leave as it was: the live tags, the history, the repository's blobs. */
async function snapshot(w: World) {
  const id = (await stores.repositories.find(w.repo))!.id;
  return {
    tags: (await stores.tags.history(id, { offset: 0, limit: 100 })).map((t) => [t.name, t.digest, t.endMs, t.expiresMs, t.immutable]),
    blobs: await Promise.all([w.image.config, ...w.image.layers, w.other.config, ...w.other.layers].map((b) => stores.blobLinks.linkedSize(id, b.digest))),
    manifests: await Promise.all([w.image.digest, w.other.digest].map(async (d) => (await stores.manifests.getByDigest(id, d))?.digest)),
  };
}

describe("operations × guards, as each API answers", () => {
  for (const [op, condition, viaV2, viaV1] of TABLE) {
    for (const [api, want, act] of [
      ["/v2", viaV2, v2Ops[op]],
      ["API v1", viaV1, v1Ops[op]],
    ] as const) {
      if (want === "—") {
        test(`${op}: ${api} has no such call`, () => expect(act).toBeUndefined());
        continue;
      }
      test(`${op} with ${CONDITION_NAMES[condition]} → ${api} ${want}`, async () => {
        const w = await world(condition);
        const before = (await snapshot(w));
        expect(await answer(await act!(w))).toBe(want);
        // A refusal changes nothing.
        if (Number(want.slice(0, 3)) >= 400) expect((await snapshot(w))).toEqual(before);
      });
    }
  }
});

describe("a read-only repository", () => {
  test("still serves pulls, and writes work again once it is NORMAL", async () => {
    const w = await world("readOnly");
    const got = await w.v2.fetch(`/v2/${w.repo}/manifests/v1`, { headers: { Accept: w.image.mediaType } });
    expect(got.status).toBe(200);
    const view = (await (await v1.fetch(`/api/v1/repository/${w.repo}`)).json()) as { state: string };
    expect(view.state).toBe("READ_ONLY");
    expect((await v1.fetch(`/api/v1/repository/${w.repo}/changestate`, { method: "PUT", json: { state: "NORMAL" } })).status).toBe(200);
    expect(await answer(await v2Ops["delete the tag"]!(w))).toBe("202");
  });

  test("an unknown state is a 400 naming the field", async () => {
    const w = await world("none");
    const res = await v1.fetch(`/api/v1/repository/${w.repo}/changestate`, { method: "PUT", json: { state: "MARKED_FOR_DELETION" } });
    expect(res.status).toBe(400);
  });
});

describe("a mirror", () => {
  test("its robot may still push over /v2 (Quay's check_repository_state); the admin may not", async () => {
    const w = await world("mirror");
    const robot = new BearerRegistryClient(server.url, await registryToken(server.url, ["admin+guardsmirror", mirrorRobotToken], `repository:${w.repo}:pull,push`));
    expect((await robot.pushImage(w.repo, "v1", { layers: 1, layerSize: 40 })).digest).toMatch(/^sha256:/);
    expect(await answer(await v2Ops["start an upload"]!(w))).toBe("405 UNSUPPORTED");
  });
});

describe("the same change through either API writes the same audit entry", () => {
  const entries = async (repo: string, kind: string) => {
    const id = (await stores.repositories.find(repo))!.id;
    await stores.auditWriter.flush();
    return (await stores.auditLog.page({ startMs: 0, endMs: Date.now() + 60_000, repositoryId: id, kinds: [kind] })).entries;
  };

  test("deleting a tag: delete_tag with the tag and its manifest digest, via /v2 and via API v1", async () => {
    const viaV2 = await world("none");
    const viaV1 = await world("none");
    expect(await answer(await v2Ops["delete the tag"]!(viaV2))).toBe("202");
    expect(await answer(await v1Ops["delete the tag"]!(viaV1))).toBe("204");
    const [a] = await entries(viaV2.repo, "delete_tag");
    const [b] = await entries(viaV1.repo, "delete_tag");
    const shape = (e: typeof a, w: World) => ({ kind: e!.kind, metadata: { ...e!.metadata, repo: "·", manifest_digest: e!.metadata.manifest_digest === w.image.digest } });
    expect(shape(a, viaV2)).toEqual(shape(b, viaV1));
    expect(a!.performer).toEqual(b!.performer);
    expect(a!.performer).toMatchObject({ kind: "user", name: "admin" });
    expect(a!.metadata).toMatchObject({ tag: "v1", manifest_digest: viaV2.image.digest, namespace: "admin" });
  });

  test("deleting a manifest by digest on /v2 logs delete_tag for each live tag that went with it (Quay)", async () => {
    const w = await world("none");
    expect((await v1.fetch(tagPath(w, "latest"), { method: "PUT", json: { manifest_digest: w.image.digest } })).status).toBe(201);
    expect(await answer(await v2Ops["delete the manifest"]!(w))).toBe("202");
    expect((await entries(w.repo, "delete_tag")).map((e) => e.metadata.tag).sort()).toEqual(["latest", "v1"]);
  });

  test("a refused change writes no entry (API v1's tag PUT with several fields: all or nothing)", async () => {
    const w = await world("none");
    const unknown = `sha256:${"0".repeat(64)}`;
    const res = await v1.fetch(tagPath(w), { method: "PUT", json: { expiration: Math.floor((Date.now() + 3 * EXPIRY_MS) / 1000), manifest_digest: unknown } });
    expect(res.status).toBe(404);
    const [live] = (await stores.tags.history((await stores.repositories.find(w.repo))!.id, { name: "v1", onlyActive: true, offset: 0, limit: 1 }));
    expect(live!.expiresMs).toBeUndefined();
    expect(await entries(w.repo, "change_tag_expiration")).toEqual([]);
    expect(await entries(w.repo, "move_tag")).toEqual([]);
  });
});
