// LabelStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { changes } from "../../../src/store/dialect/program";
import { LabelStore } from "../../../src/store/meta/labels";
import { addManifest, addRepository, describeEachDialect } from "./eachDialect";

describeEachDialect("labels.test.ts", "LabelStore", (backend) => {
  async function manifest() {
    const { runner } = backend();
    const repoId = await addRepository(runner, "ns/app");
    const id = await addManifest(runner, repoId, crypto.randomUUID());
    return { labels: new LabelStore(runner), repoId, id };
  }

  test("add answers the label with a uuid; get and list find it", async () => {
    const { labels, id } = await manifest();
    const label = await labels.add({ manifestId: id, key: "team", value: "web", mediaType: "text/plain", sourceType: "api" });
    expect(label).toMatchObject({ key: "team", value: "web", mediaType: "text/plain", sourceType: "api" });
    expect(label.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof label.createdMs).toBe("number");
    expect(await labels.get(id, label.uuid)).toEqual(label);
    expect(await labels.list(id)).toEqual([label]);
  });

  test("labels belong to one manifest", async () => {
    const one = await manifest();
    const other = await addManifest(backend().runner, one.repoId, "other");
    const label = await one.labels.add({ manifestId: one.id, key: "a", value: "1", mediaType: "text/plain", sourceType: "api" });
    expect(await one.labels.get(other, label.uuid)).toBeUndefined();
    expect(await one.labels.list(other)).toEqual([]);
    expect(await one.labels.delete(other, label.uuid)).toBe("notFound");
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
    const { labels, id } = await manifest();
    for (const key of ["com.example.a", "com.example.b", "org.x", "com%x"])
      await labels.add({ manifestId: id, key, value: "v", mediaType: "text/plain", sourceType: "api" });
    expect((await labels.list(id, prefix || undefined)).map((l) => l.key)).toEqual(want);
  });

  test.each([
    ["api", "ok"],
    ["manifest", "readOnly"],
    ["internal", "readOnly"],
  ] as const)("delete of a label from %s: %s", async (sourceType, want) => {
    const { labels, id } = await manifest();
    const label = await labels.add({ manifestId: id, key: "a", value: "1", mediaType: "text/plain", sourceType });
    expect(await labels.delete(id, label.uuid)).toBe(want);
    expect(await labels.get(id, label.uuid) === undefined).toBe(want === "ok");
    expect(await labels.delete(id, crypto.randomUUID())).toBe("notFound");
  });

  test("addFromManifest stores once, inferring media types", async () => {
    const { labels, id } = await manifest();
    expect(await labels.addFromManifest(id, { a: "1", j: '{"x":1}' })).toBe(true);
    expect(await labels.addFromManifest(id, { a: "1", j: '{"x":1}', extra: "no" })).toBe(false);
    expect((await labels.list(id)).map((l) => [l.key, l.value, l.mediaType, l.sourceType])).toEqual([
      ["a", "1", "text/plain", "manifest"],
      ["j", '{"x":1}', "application/json", "manifest"],
    ]);
  });

  test("addFromManifest with nothing stores nothing; API labels do not count as the manifest's", async () => {
    const { labels, id } = await manifest();
    expect(await labels.addFromManifest(id, {})).toBe(false);
    await labels.add({ manifestId: id, key: "mine", value: "1", mediaType: "text/plain", sourceType: "api" });
    expect(await labels.addFromManifest(id, { a: "1" })).toBe(true);
    expect(await labels.list(id)).toHaveLength(2);
  });

  test("many labels go in at once", async () => {
    const { labels, id } = await manifest();
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, `v${i}`]));
    expect(await labels.addFromManifest(id, many)).toBe(true);
    expect(await labels.list(id)).toHaveLength(2000);
  });

  test("labels go with their manifest", async () => {
    const { labels, id } = await manifest();
    await labels.add({ manifestId: id, key: "a", value: "1", mediaType: "text/plain", sourceType: "api" });
    await backend().runner.run(function* ({ db, t }) {
      yield* changes(db.delete(t.manifests).where(eq(t.manifests.id, id)));
    });
    expect(await labels.list(id)).toEqual([]);
  });

  test("addFromManifest for a manifest that does not exist is refused by the foreign key", async () => {
    const { labels } = await manifest();
    await expect(labels.addFromManifest(999_999, { a: "1" })).rejects.toThrow();
    expect(await labels.list(999_999)).toEqual([]);
  });
  test("pushes of one manifest at once store its labels once; deletes at once succeed once", async () => {
    const { labels, id } = await manifest();
    const stored = await Promise.all(Array.from({ length: 6 }, () => labels.addFromManifest(id, { a: "1", b: "2" })));
    expect(stored.filter(Boolean)).toHaveLength(1);
    expect((await labels.list(id)).map((l) => l.key)).toEqual(["a", "b"]);
    const label = await labels.add({ manifestId: id, key: "mine", value: "1", mediaType: "text/plain", sourceType: "api" });
    const deleted = await Promise.all(Array.from({ length: 4 }, () => labels.delete(id, label.uuid)));
    expect(deleted.sort()).toEqual(["notFound", "notFound", "notFound", "ok"]);
  });
});
