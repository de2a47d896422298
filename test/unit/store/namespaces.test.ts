// NamespaceStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { all } from "../../../src/store/dialect/program";
import { NamespaceStore } from "../../../src/store/meta/namespaces";
import { addRepository, describeEachDialect, namespaceIdOf } from "./eachDialect";

describeEachDialect("namespaces.test.ts", "NamespaceStore", (backend) => {
  test("settings and byId: the defaults of a new namespace", async () => {
    const { runner } = backend();
    await addRepository(runner, "acme/app");
    const id = await namespaceIdOf(runner, "acme");
    const namespaces = new NamespaceStore(runner);
    const want = { id, name: "acme", kind: "user" as const, email: null, tagExpirationS: 1209600 };
    expect(await namespaces.settings("acme")).toEqual(want);
    expect(await namespaces.byId(id)).toEqual(want);
    expect(await namespaces.settings("nobody")).toBeUndefined();
    expect(await namespaces.byId(id + 1)).toBeUndefined();
  });

  test("setEmail and setTagExpiration change one namespace", async () => {
    const { runner } = backend();
    await addRepository(runner, "acme/app");
    await addRepository(runner, "other/app");
    const id = await namespaceIdOf(runner, "acme");
    const namespaces = new NamespaceStore(runner);
    await namespaces.setEmail(id, "ops@acme.example");
    await namespaces.setTagExpiration(id, 86400);
    expect(await namespaces.byId(id)).toMatchObject({ email: "ops@acme.example", tagExpirationS: 86400 });
    expect(await namespaces.settings("other")).toMatchObject({ email: null, tagExpirationS: 1209600 });
    await namespaces.setEmail(id, null);
    expect((await namespaces.byId(id))!.email).toBeNull();
  });

  test("idsByName leaves out missing names and reads past one chunk of 500", async () => {
    const { runner } = backend();
    const names = Array.from({ length: 620 }, (_, i) => `ns${String(i).padStart(4, "0")}`);
    const inserted = await runner.run(function* ({ db, t }) {
      return yield* all(db.insert(t.namespaces).values(names.map((name) => ({ name }))).returning({ id: t.namespaces.id, name: t.namespaces.name }));
    });
    const namespaces = new NamespaceStore(runner);
    const found = await namespaces.idsByName([...names, "missing"]);
    expect(found.size).toBe(620);
    for (const row of inserted) expect(found.get(row.name)).toBe(row.id);
    expect(found.has("missing")).toBe(false);
    expect(await namespaces.idsByName([])).toEqual(new Map());
  });
});
