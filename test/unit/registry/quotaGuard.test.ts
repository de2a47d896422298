// The quota guard of the registry core over real stores: a push that would take its namespace to
// the Reject limit is refused with nothing written; what a push adds is counted once per
// namespace; every measure is reported after the commit (or after the refusal it caused).
import { describe, expect, test } from "bun:test";
import { SYSTEM_ACTOR, type QuotaChecked, type RepoRef } from "../../../src/events/registryEvents";
import * as blobSteps from "../../../src/registry/blobSteps";
import { runOperation } from "../../../src/registry/operation";
import type { BlobOutcome, DeletionUnderWay } from "../../../src/registry/outcomes";
import type { Stores } from "../../../src/store";
import { registryFor } from "../../support/registryFixture";
import { sha256, storesPerTest } from "../store/storeFixtures";

const s = storesPerTest("berth-quota-guard-");
const actor = SYSTEM_ACTOR;
const enc = new TextEncoder();

/** acme/app and acme/other, acme with a 1000-byte quota: Warning at 80 %, Reject at 100 %. */
async function setup(stores: Stores) {
  const app = (await stores.repositories.ensure("acme/app"));
  const other = (await stores.repositories.ensure("acme/other"));
  const nsId = (await stores.namespaces.settings("acme"))!.id;
  const quota = await stores.quotas.create(nsId, 1000);
  if (quota.kind !== "created") throw new Error("quota");
  await stores.quotas.addLimit(quota.id, "Warning", 80);
  await stores.quotas.addLimit(quota.id, "Reject", 100);
  const t = registryFor(stores);
  const checks: QuotaChecked[] = [];
  t.events.onQuotaChecked((c) => checks.push(c));
  const ref = (r: { id: number; fullName: string }): RepoRef => ({ id: r.id, name: r.fullName });
  const upload = async (repo: RepoRef, name: string, size: number) => {
    const digest = sha256(name);
    const outcome = await runOperation<BlobOutcome | DeletionUnderWay>({ writes: stores.registryWrites, events: t.events }, (op) => blobSteps.finishUpload(op, { repo, digest, size, actor }));
    return { digest, outcome };
  };
  const push = (repo: RepoRef, layers: string[], tag?: string) => {
    const content = enc.encode(JSON.stringify({ layers, nonce: crypto.randomUUID() }));
    const digest = sha256(content);
    const manifest = { digest, mediaType: "application/vnd.oci.image.manifest.v1+json", content, blobDigests: layers, childDigests: [] };
    return t.registry.pushManifest({ repo, manifest, requiredBlobs: layers, tag, actor }).then((outcome) => ({ digest, outcome }));
  };
  return { app: ref(app), other: ref(other), nsId, quotaId: quota.id, ...t, checks, upload, push };
}

const refused = { kind: "quotaExceeded", namespace: "acme" } as const;
const report = (severity: "Warning" | "Reject" | null, thresholdPercent: number | null, usageBytes: number, refused = false, actual = !refused) => ({
  report: { namespace: { id: expect.any(Number), name: "acme" }, severity, thresholdPercent, usageBytes, quotaBytes: 1000 },
  refused,
  actual,
});

describe("a push past the Reject limit", () => {
  test("a manifest that would reach it is refused: no manifest, no tag, usage unchanged", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const big = await x.upload(x.app, "big", 700);
    const more = await x.upload(x.app, "more", 300);
    expect((await x.push(x.app, [big.digest], "v1")).outcome).toEqual({ kind: "ok" });
    const over = await x.push(x.app, [big.digest, more.digest], "v1");
    expect(over.outcome).toEqual(refused);
    expect((await stores.manifests.getByDigest(x.app.id, over.digest))).toBeUndefined();
    expect((await stores.manifests.getByTag(x.app.id, "v1"))?.digest).not.toBe(over.digest);
    expect(await stores.quotaUsage.namespaceBytes(x.nsId)).toBe(700);
    // Reported as refused, with the usage the push would have left (Quay counts it as pushed, too).
    expect(x.checks.at(-1)).toEqual(report("Reject", 100, 1000, true));
  });

  test("blobs already counted in the namespace add nothing: a second repository may name them", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const layer = await x.upload(x.app, "layer", 900);
    await x.push(x.app, [layer.digest], "v1");
    expect(await x.registry.mountBlob({ repo: x.other, from: x.app, digest: layer.digest, actor })).toMatchObject({ kind: "ok" });
    expect((await x.push(x.other, [layer.digest], "v1")).outcome).toEqual({ kind: "ok" });
    expect(await stores.quotaUsage.namespaceBytes(x.nsId)).toBe(900);
  });

  test("a blob upload that alone would reach it is refused, and so is a mount", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const layer = await x.upload(x.app, "layer", 600);
    await x.push(x.app, [layer.digest], "v1");
    expect((await x.upload(x.app, "huge", 400)).outcome).toEqual(refused);
    expect(await stores.blobLinks.linkedSize(x.app.id, sha256("huge"))).toBeUndefined();
    // In another namespace the blob is fine; mounting it here would count it here.
    const elsewhere = (await stores.repositories.ensure("beta/x"));
    const beta = { id: elsewhere.id, name: elsewhere.fullName };
    expect((await x.upload(beta, "huge", 400)).outcome).toMatchObject({ kind: "ok" });
    expect(await x.registry.mountBlob({ repo: x.app, from: beta, digest: sha256("huge"), actor })).toEqual(refused);
    expect((await x.upload(x.app, "small", 100)).outcome).toMatchObject({ kind: "ok" });
  });

  test("once usage reaches it, uploads do not start and nothing is pushed, not even bytes already counted", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const most = await x.upload(x.app, "most", 990);
    expect((await x.push(x.app, [most.digest], "v1")).outcome).toEqual({ kind: "ok" });
    // Under Quay's rule usage at the quota has reached it: the blob that would get there is refused.
    expect((await x.upload(x.app, "tiny", 10)).outcome).toEqual(refused);
    expect((await x.upload(x.app, "tinier", 9)).outcome).toMatchObject({ kind: "ok" });
    await stores.quotas.setLimitBytes(x.quotaId, 990);
    expect(await x.registry.startUpload({ repo: x.app })).toEqual(refused);
    expect((await x.push(x.app, [most.digest], "v2")).outcome).toEqual(refused);
    // Deletions are never refused, and give the room back.
    const tagged = (await stores.manifests.getByTag(x.app.id, "v1"))!;
    expect(await x.registry.deleteManifest({ repo: x.app, digest: tagged.digest, actor })).toMatchObject({ kind: "ok" });
    expect(await x.registry.startUpload({ repo: x.app })).toMatchObject({ kind: "ok" });
  });
});

describe("measures reported to listeners", () => {
  test("each counted step reports its namespace's usage after commit; a Warning share is reported as such", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const a = await x.upload(x.app, "a", 500);
    // An upload's measure is a projection: the blob counts once a manifest names it.
    expect(x.checks).toEqual([report(null, null, 500, false, false)]);
    await x.push(x.app, [a.digest], "v1");
    const b = await x.upload(x.app, "b", 350);
    await x.push(x.app, [a.digest, b.digest], "v2");
    expect(await x.registry.startUpload({ repo: x.app })).toMatchObject({ kind: "ok" });
    expect(x.checks.map((c) => [c.report.severity, c.report.usageBytes, c.refused, c.actual])).toEqual([
      [null, 500, false, false],
      [null, 500, false, true],
      ["Warning", 850, false, false],
      ["Warning", 850, false, true],
      ["Warning", 850, false, true],
    ]);
  });

  test("a namespace without a quota, or whose quota has no limits, reports nothing", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const row = (await stores.repositories.ensure("free/app"));
    const free = { id: row.id, name: row.fullName };
    const a = await x.upload(free, "a", 5000);
    await x.push(free, [a.digest], "v1");
    expect(x.checks).toEqual([]);
    const quota = (await stores.quotas.ofNamespace(x.nsId))!;
    for (const limit of quota.limits) await stores.quotas.deleteLimit(quota, limit);
    const b = await x.upload(x.app, "b", 5000);
    expect((await x.push(x.app, [b.digest], "v1")).outcome).toEqual({ kind: "ok" });
    expect(x.checks).toEqual([]);
  });

  test("a step refused for another reason reports nothing", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const missing = sha256("never uploaded");
    expect((await x.push(x.app, [missing], "v1")).outcome).toEqual({ kind: "missingBlob", digest: missing });
    expect(x.checks).toEqual([]);
  });

  test("recheckQuota measures the namespace as it is (limits changed)", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const a = await x.upload(x.app, "a", 850);
    await x.push(x.app, [a.digest], "v1");
    x.checks.length = 0;
    expect(await x.registry.recheckQuota({ id: x.nsId, name: "acme" })).toMatchObject({ severity: "Warning", thresholdPercent: 80, usageBytes: 850 });
    expect(x.checks).toEqual([report("Warning", 80, 850)]);
  });
});
