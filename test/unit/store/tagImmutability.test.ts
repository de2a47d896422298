// Immutable tags in the store: nothing moves, ends, expires or deletes what they protect.
import { describe, expect, test } from "bun:test";
import type { Stores } from "../../../src/store";
import type { TagImmutabilityOutcome } from "../../../src/store/meta/tags";
import { putManifest, storesPerTest } from "./storeFixtures";

const s = storesPerTest("berth-immutable-");

/** A repository with manifests a and b; tag "v1" points at a and is immutable. */
function setup(stores: Stores) {
  const repo = stores.repositories.ensure("ns/app");
  const a = putManifest(stores, repo.id, "a", "v1");
  const b = putManifest(stores, repo.id, "b");
  expect(stores.tags.setImmutable(repo.id, "v1", true)).toBe("ok");
  return { repo: repo.id, a, b };
}

const liveDigest = (stores: Stores, repo: number, tag: string) => stores.manifests.getByTag(repo, tag)?.digest;

describe("an immutable tag refuses", () => {
  test.each([
    ["pointAt another manifest", (st: Stores, x: ReturnType<typeof setup>) => st.tags.pointAt(x.repo, "v1", x.b.digest), "immutable"],
    // Quay refuses even the manifest the tag already points at.
    ["pointAt the same manifest", (st: Stores, x: ReturnType<typeof setup>) => st.tags.pointAt(x.repo, "v1", x.a.digest), "immutable"],
    ["pointAt an unknown manifest (unknown first)", (st: Stores, x: ReturnType<typeof setup>) => st.tags.pointAt(x.repo, "v1", "sha256:" + "0".repeat(64)), "unknownManifest"],
    ["restore", (st: Stores, x: ReturnType<typeof setup>) => st.tags.restore(x.repo, "v1", x.a.digest), "immutable"],
    ["endLive", (st: Stores, x: ReturnType<typeof setup>) => st.tags.endLive(x.repo, "v1"), "immutable"],
    ["changeExpiry to a time", (st: Stores, x: ReturnType<typeof setup>) => st.tags.changeExpiry(x.repo, "v1", Date.now() + 60_000), "immutable"],
    ["manifest PUT by the tag", (st: Stores, x: ReturnType<typeof setup>) => putManifest(st, x.repo, "c", "v1").outcome, { kind: "immutable", tag: "v1" }],
    ["re-PUT of the same manifest by the tag", (st: Stores, x: ReturnType<typeof setup>) => putManifest(st, x.repo, "a", "v1").outcome, { kind: "immutable", tag: "v1" }],
    ["deleting the manifest it points at", (st: Stores, x: ReturnType<typeof setup>) => st.manifests.delete(x.repo, x.a.digest), { kind: "immutable", tag: "v1" }],
  ] as const)("%s", (_name, act, want) => {
    const stores = s.get();
    const x = setup(stores);
    expect(act(stores, x) as unknown).toEqual(want);
    // Whatever was tried, v1 still points at a, immutable, with no expiry.
    expect(liveDigest(stores, x.repo, "v1")).toBe(x.a.digest);
    const [live] = stores.tags.history(x.repo, { name: "v1", onlyActive: true, offset: 0, limit: 10 });
    expect(live).toMatchObject({ immutable: true, expiresMs: undefined });
    expect(stores.tags.history(x.repo, { name: "v1", offset: 0, limit: 10 })).toHaveLength(1);
  });

  test("a refused PUT by tag stores no manifest", () => {
    const stores = s.get();
    const x = setup(stores);
    const c = putManifest(stores, x.repo, "c", "v1");
    expect(stores.manifests.getByDigest(x.repo, c.digest)).toBeUndefined();
  });

  test("ending it or giving it an expiry answers immutable and changes nothing", () => {
    const stores = s.get();
    const x = setup(stores);
    expect(stores.tags.endLive(x.repo, "v1")).toBe("immutable");
    expect(stores.tags.changeExpiry(x.repo, "v1", Date.now() + 60_000)).toBe("immutable");
    expect(liveDigest(stores, x.repo, "v1")).toBe(x.a.digest);
  });
});

describe("an immutable tag still allows", () => {
  test("clearing an expiry (there is none to clear)", () => {
    const stores = s.get();
    const x = setup(stores);
    expect(stores.tags.changeExpiry(x.repo, "v1", null)).toBe("ok");
  });

  test("other tags on the same manifest to move, end and go", () => {
    const stores = s.get();
    const x = setup(stores);
    expect(stores.tags.pointAt(x.repo, "latest", x.a.digest)).toBe("ok");
    expect(stores.tags.pointAt(x.repo, "latest", x.b.digest)).toBe("ok");
    expect(stores.tags.endLive(x.repo, "latest")).toBe("ok");
  });

  test("pushing the manifest again by digest", () => {
    const stores = s.get();
    const x = setup(stores);
    expect(putManifest(stores, x.repo, "a").outcome).toEqual({ kind: "ok" });
  });

  test("everything once the flag is cleared", () => {
    const stores = s.get();
    const x = setup(stores);
    expect(stores.tags.setImmutable(x.repo, "v1", false)).toBe("ok");
    expect(stores.tags.pointAt(x.repo, "v1", x.b.digest)).toBe("ok");
    expect(stores.tags.changeExpiry(x.repo, "v1", Date.now() + 60_000)).toBe("ok");
    expect(stores.tags.endLive(x.repo, "v1")).toBe("ok");
    expect(stores.manifests.delete(x.repo, x.a.digest)).toEqual({ kind: "ok" });
  });
});

type Before = (st: Stores, repo: number) => unknown;
const nothing: Before = () => undefined;

describe("setImmutable", () => {
  test.each<[string, Before, boolean, TagImmutabilityOutcome]>([
    ["a live tag", nothing, true, "ok"],
    ["a missing tag", (st: Stores, repo: number) => st.tags.endLive(repo, "v1"), true, "notLive"],
    ["an expiring tag", (st: Stores, repo: number) => st.tags.changeExpiry(repo, "v1", Date.now() + 60_000), true, "expiring"],
    ["an expired tag", (st: Stores, repo: number) => st.tags.changeExpiry(repo, "v1", Date.now() - 1), true, "notLive"],
    ["clearing on an expiring tag", (st: Stores, repo: number) => st.tags.changeExpiry(repo, "v1", Date.now() + 60_000), false, "ok"],
    ["clearing on a mutable tag", nothing, false, "ok"],
  ])("%s", (_name, before, flag, want) => {
    const stores = s.get();
    const repo = stores.repositories.ensure("ns/app").id;
    putManifest(stores, repo, "a", "v1");
    before(stores, repo);
    expect(stores.tags.setImmutable(repo, "v1", flag)).toBe(want);
  });

  test("the history shows which periods were immutable", () => {
    const stores = s.get();
    const repo = stores.repositories.ensure("ns/app").id;
    const a = putManifest(stores, repo, "a", "v1");
    putManifest(stores, repo, "b", "v1");
    stores.tags.setImmutable(repo, "v1", true);
    const periods = stores.tags.history(repo, { offset: 0, limit: 10 });
    expect(periods.map((p) => [p.digest === a.digest ? "a" : "b", p.immutable])).toEqual([
      ["b", true],
      ["a", false],
    ]);
  });
});

describe("label effects on a manifest's tags", () => {
  test("markImmutableForManifest marks live tags without an expiry", () => {
    const stores = s.get();
    const repo = stores.repositories.ensure("ns/app").id;
    const a = putManifest(stores, repo, "a", "v1");
    stores.tags.pointAt(repo, "v2", a.digest);
    stores.tags.pointAt(repo, "soon", a.digest);
    stores.tags.changeExpiry(repo, "soon", Date.now() + 60_000);
    stores.tags.pointAt(repo, "gone", a.digest);
    stores.tags.endLive(repo, "gone");
    putManifest(stores, repo, "b", "other");
    expect(stores.tags.markImmutableForManifest(a.id!).sort()).toEqual(["v1", "v2"]);
    expect(stores.tags.endLive(repo, "v2")).toBe("immutable");
    expect(stores.tags.endLive(repo, "other")).toBe("ok");
  });

  test("expireForManifest sets start + duration on live mutable tags", () => {
    const stores = s.get();
    const repo = stores.repositories.ensure("ns/app").id;
    const a = putManifest(stores, repo, "a", "v1");
    stores.tags.pointAt(repo, "locked", a.digest);
    stores.tags.setImmutable(repo, "locked", true);
    expect(stores.tags.expireForManifest(a.id!, 3_600_000)).toEqual(["v1"]);
    const [v1] = stores.tags.history(repo, { name: "v1", offset: 0, limit: 1 });
    expect(v1!.expiresMs).toBe(v1!.startMs + 3_600_000);
    const [locked] = stores.tags.history(repo, { name: "locked", offset: 0, limit: 1 });
    expect(locked!.expiresMs).toBeUndefined();
  });

  test("an expiry already passed ends the tag for readers", () => {
    const stores = s.get();
    const repo = stores.repositories.ensure("ns/app").id;
    const a = putManifest(stores, repo, "a", "v1");
    expect(stores.tags.expireForManifest(a.id!, 1)).toEqual(["v1"]);
    Bun.sleepSync(5);
    expect(stores.manifests.getByTag(repo, "v1")).toBeUndefined();
    expect(stores.tags.list(repo, undefined, undefined)).toEqual([]);
  });
});
