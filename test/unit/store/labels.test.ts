import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { registryFor } from "../../support/registryFixture";
import { describe, expect, test } from "bun:test";
import { putManifest, storesPerTest } from "./storeFixtures";

const s = storesPerTest("berth-labels-");

function manifest() {
  const stores = s.get();
  const repo = stores.repositories.ensure("ns/app");
  const m = putManifest(stores, repo.id, crypto.randomUUID());
  return { stores, repoId: repo.id, id: m.id!, digest: m.digest };
}

describe("LabelStore", () => {
  test("add answers the label with a uuid; get and list find it", async () => {
    const { stores, id } = manifest();
    const label = await stores.labels.add({ manifestId: id, key: "team", value: "web", mediaType: "text/plain", sourceType: "api" });
    expect(label).toMatchObject({ key: "team", value: "web", mediaType: "text/plain", sourceType: "api" });
    expect(label.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof label.createdMs).toBe("number");
    expect(await stores.labels.get(id, label.uuid)).toEqual(label);
    expect(await stores.labels.list(id)).toEqual([label]);
  });

  test("labels belong to one manifest", async () => {
    const one = manifest();
    const other = putManifest(one.stores, one.repoId, "other");
    const label = await one.stores.labels.add({ manifestId: one.id, key: "a", value: "1", mediaType: "text/plain", sourceType: "api" });
    expect(await one.stores.labels.get(other.id!, label.uuid)).toBeUndefined();
    expect(await one.stores.labels.list(other.id!)).toEqual([]);
    expect(await one.stores.labels.delete(other.id!, label.uuid)).toBe("notFound");
  });

  test.each([
    ["", ["com.example.a", "com.example.b", "org.x", "com%x"]],
    ["com.example.", ["com.example.a", "com.example.b"]],
    ["com.example.a", ["com.example.a"]],
    ["COM.", []], // prefixes are exact, case and all
    ["com%", ["com%x"]], // no wildcards
    ["com_", []],
    ["zzz", []],
  ])("list with prefix %p", async (prefix, want) => {
    const { stores, id } = manifest();
    for (const key of ["com.example.a", "com.example.b", "org.x", "com%x"])
      await stores.labels.add({ manifestId: id, key, value: "v", mediaType: "text/plain", sourceType: "api" });
    expect((await stores.labels.list(id, prefix || undefined)).map((l) => l.key)).toEqual(want);
  });

  test.each([
    ["api", "ok"],
    ["manifest", "readOnly"],
    ["internal", "readOnly"],
  ] as const)("delete of a label from %s: %s", async (sourceType, want) => {
    const { stores, id } = manifest();
    const label = await stores.labels.add({ manifestId: id, key: "a", value: "1", mediaType: "text/plain", sourceType });
    expect(await stores.labels.delete(id, label.uuid)).toBe(want);
    expect(await stores.labels.get(id, label.uuid) === undefined).toBe(want === "ok");
    expect(await stores.labels.delete(id, crypto.randomUUID())).toBe("notFound");
  });

  test("addFromManifest stores once, inferring media types", async () => {
    const { stores, id } = manifest();
    expect(await stores.labels.addFromManifest(id, { a: "1", j: '{"x":1}' })).toBe(true);
    expect(await stores.labels.addFromManifest(id, { a: "1", j: '{"x":1}', extra: "no" })).toBe(false);
    expect((await stores.labels.list(id)).map((l) => [l.key, l.value, l.mediaType, l.sourceType])).toEqual([
      ["a", "1", "text/plain", "manifest"],
      ["j", '{"x":1}', "application/json", "manifest"],
    ]);
  });

  test("addFromManifest with nothing stores nothing; API labels do not count as the manifest's", async () => {
    const { stores, id } = manifest();
    expect(await stores.labels.addFromManifest(id, {})).toBe(false);
    await stores.labels.add({ manifestId: id, key: "mine", value: "1", mediaType: "text/plain", sourceType: "api" });
    expect(await stores.labels.addFromManifest(id, { a: "1" })).toBe(true);
    expect(await stores.labels.list(id)).toHaveLength(2);
  });

  test("many labels go in at once", async () => {
    const { stores, id } = manifest();
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, `v${i}`]));
    expect(await stores.labels.addFromManifest(id, many)).toBe(true);
    expect(await stores.labels.list(id)).toHaveLength(2000);
  });

  test("labels go with their manifest", async () => {
    const { stores, repoId, id, digest } = manifest();
    await stores.labels.add({ manifestId: id, key: "a", value: "1", mediaType: "text/plain", sourceType: "api" });
    const repo = { id: repoId, name: "ns/app" };
    expect(await registryFor(stores).registry.deleteManifest({ repo, digest, actor: SYSTEM_ACTOR })).toEqual({ kind: "ok", tags: [] });
    expect(await stores.labels.list(id)).toEqual([]);
  });
});
