// The registry's read stores on both dialects (describeEachDialect): repositories, manifests and
// tags as /v2 and API v1 read them, through the read cache the manifest GET path uses.
import { expect, test } from "bun:test";
import { InProcessReadCache } from "../../../src/store/meta/readCache";
import { ManifestStore } from "../../../src/store/meta/manifests";
import { RepositoryStore } from "../../../src/store/meta/repositories";
import { TagStore } from "../../../src/store/meta/tags";
import { addRepository, describeEachDialect, namespaceIdOf } from "./eachDialect";
import { addManifestRow, addTagRow, setTimeMachine } from "./registryRows";

const NOW = 1_000_000_000;

describeEachDialect("registryReads.test.ts", "repositories", (backend) => {
  const open = () => new RepositoryStore(backend().runner, new InProcessReadCache());

  test("find answers the row, remembers a missing one until a write through the store clears it", async () => {
    const repos = open();
    expect(await repos.find("ns/app")).toBeUndefined();
    const made = await repos.ensure("ns/app", "public");
    expect(made).toEqual({ id: made.id, fullName: "ns/app", visibility: "public" });
    expect(await repos.find("ns/app")).toEqual(made);
    // Again: the same row, no second repository or namespace.
    expect(await repos.ensure("ns/app")).toEqual(made);
    expect(repos.findMaybeSync("ns/app")).toEqual(made);
  });

  test("list: lexical order after `last`, at most `limit`, what the filter keeps (also when it answers a promise)", async () => {
    const repos = open();
    for (const name of ["b/z", "a/b", "a/b-c", "a/b_c", "c/a"]) await repos.ensure(name);
    expect(await repos.list(undefined, undefined)).toEqual(["a/b", "a/b-c", "a/b_c", "b/z", "c/a"]);
    expect(await repos.list("a/b-c", 2)).toEqual(["a/b_c", "b/z"]);
    expect(await repos.list(undefined, undefined, (n) => n.startsWith("a/"))).toEqual(["a/b", "a/b-c", "a/b_c"]);
    expect(await repos.list(undefined, 1, async (n) => n !== "a/b")).toEqual(["a/b-c"]);
  });

  test("search: the term taken literally, ASCII case-insensitive, in name order, skip and limit after the filter", async () => {
    const repos = open();
    for (const name of ["ns/web_app", "ns/webxapp", "ns/WEB_APP2", "other/db"]) await repos.ensure(name, "public");
    await repos.setDescription((await repos.find("other/db"))!.id, "Holds the Web_App data");
    const names = async (term: string, extra: { skip?: number; limit?: number; filter?: (n: string) => boolean } = {}) =>
      (await repos.search(term, { publicOnly: false, skip: extra.skip ?? 0, limit: extra.limit ?? 10, filter: extra.filter })).map((r) => r.fullName);
    expect(await names("web_app")).toEqual(["ns/WEB_APP2", "ns/web_app", "other/db"]);
    expect(await names("web_app", { skip: 1, limit: 1 })).toEqual(["ns/web_app"]);
    expect(await names("web_app", { filter: (n) => n !== "ns/web_app" })).toEqual(["ns/WEB_APP2", "other/db"]);
    expect(await names("%")).toEqual([]);
  });

  test("details in name order with their namespaces; makeNamespacePrivate answers what it changed", async () => {
    const repos = open();
    await repos.ensure("ns/b", "public");
    await repos.ensure("ns/a", "public");
    await repos.ensure("ns/c");
    const details = await repos.details(["ns/c", "ns/b", "ns/a", "ns/missing"]);
    expect(details.map((d) => [d.fullName, d.name, d.namespace, d.namespaceKind, d.visibility, d.state])).toEqual([
      ["ns/a", "a", "ns", "user", "public", "NORMAL"],
      ["ns/b", "b", "ns", "user", "public", "NORMAL"],
      ["ns/c", "c", "ns", "user", "private", "NORMAL"],
    ]);
    expect(await repos.find("ns/a")).toMatchObject({ visibility: "public" }); // remembered
    expect(await repos.makeNamespacePrivate(await namespaceIdOf(backend().runner, "ns"))).toEqual(["ns/a", "ns/b"]);
    expect(await repos.find("ns/a")).toMatchObject({ visibility: "private" });
  });

  test("deleteNamespace takes its repositories, and the cache forgets them", async () => {
    const repos = open();
    await repos.ensure("gone/app");
    await repos.ensure("kept/app");
    expect(await repos.find("gone/app")).toBeDefined();
    await repos.deleteNamespace(await namespaceIdOf(backend().runner, "gone"));
    expect(await repos.find("gone/app")).toBeUndefined();
    expect(await repos.list(undefined, undefined)).toEqual(["kept/app"]);
  });
});

describeEachDialect("registryReads.test.ts", "manifests", (backend) => {
  let now = NOW;
  const open = () => new ManifestStore(backend().runner, new InProcessReadCache(), () => now);

  test("by tag: the live, unexpired period's manifest; a remembered one with an expiry stops at its expiry", async () => {
    now = NOW;
    const runner = backend().runner;
    const repoId = await addRepository(runner, "ns/app");
    const old = await addManifestRow(runner, repoId, "old");
    const live = await addManifestRow(runner, repoId, "live");
    await addTagRow(runner, repoId, { name: "v1", manifestId: old.id, startMs: NOW - 10, endMs: NOW - 5 });
    await addTagRow(runner, repoId, { name: "v1", manifestId: live.id, startMs: NOW - 5, expiresMs: NOW + 60_000 });
    const manifests = open();
    expect((await manifests.getByTag(repoId, "v1"))?.digest).toBe(live.digest);
    now += 59_999;
    expect((await manifests.getByTag(repoId, "v1"))?.digest).toBe(live.digest);
    now += 1;
    expect(await manifests.getByTag(repoId, "v1")).toBeUndefined();
    now -= 30_000; // a clock set back: the stored expiry still decides
    expect((await manifests.getByTag(repoId, "v1"))?.digest).toBe(live.digest);
    expect(await manifests.getByTag(repoId, "v2")).toBeUndefined();
  });

  test("the manifest GET's reads answer at once on SQLite, a miss included (no promise on the hot path)", async () => {
    const runner = backend().runner;
    const repoId = await addRepository(runner, "ns/app");
    const m = await addManifestRow(runner, repoId, "m");
    await addTagRow(runner, repoId, { name: "v1", manifestId: m.id, startMs: NOW - 5 });
    const manifests = open();
    const repos = new RepositoryStore(runner, new InProcessReadCache());
    const reads = [repos.findMaybeSync("ns/app"), manifests.getByTagMaybeSync(repoId, "v1"), manifests.getByDigestMaybeSync(repoId, m.digest)];
    if (runner.dialect === "sqlite") for (const read of reads) expect(read).not.toBeInstanceOf(Promise);
    const [repo, byTag, byDigest] = await Promise.all(reads);
    expect([(repo as { id: number }).id, (byTag as { digest: string }).digest, (byDigest as { digest: string }).digest]).toEqual([repoId, m.digest, m.digest]);
    // Remembered: at once on both dialects.
    expect(repos.findMaybeSync("ns/app")).not.toBeInstanceOf(Promise);
    expect(manifests.getByTagMaybeSync(repoId, "v1")).not.toBeInstanceOf(Promise);
  });

  test("by digest: within its repository only, its bytes as stored", async () => {
    const runner = backend().runner;
    const a = await addRepository(runner, "ns/a");
    const b = await addRepository(runner, "ns/b");
    const m = await addManifestRow(runner, a, "one");
    const found = (await open().getByDigest(a, m.digest))!;
    expect(found.digest).toBe(m.digest);
    expect(JSON.parse(Buffer.from(found.content).toString())).toEqual({ schemaVersion: 2, nonce: "one" });
    expect(found.size).toBe(found.content.length);
    expect(await open().getByDigest(b, m.digest)).toBeUndefined();
  });

  test("referrers: the manifests whose subject is the digest, oldest first", async () => {
    const runner = backend().runner;
    const repoId = await addRepository(runner, "ns/app");
    const subject = await addManifestRow(runner, repoId, "subject");
    const sig = await addManifestRow(runner, repoId, "sig", { subject: subject.digest, artifactType: "application/x-sig" });
    const sbom = await addManifestRow(runner, repoId, "sbom", { subject: subject.digest });
    await addManifestRow(runner, repoId, "unrelated");
    expect((await open().referrers(repoId, subject.digest)).map((r) => [r.digest, r.artifactType])).toEqual([
      [sig.digest, "application/x-sig"],
      [sbom.digest, null],
    ]);
  });
});

describeEachDialect("registryReads.test.ts", "tags", (backend) => {
  const open = () => new TagStore(backend().runner, () => NOW);

  test("list: live, unexpired tags in lexical order after `last`, at most `limit`", async () => {
    const runner = backend().runner;
    const repoId = await addRepository(runner, "ns/app");
    const m = await addManifestRow(runner, repoId, "m");
    for (const name of ["b", "a", "c", "B"]) await addTagRow(runner, repoId, { name, manifestId: m.id, startMs: NOW - 100 });
    await addTagRow(runner, repoId, { name: "ended", manifestId: m.id, startMs: NOW - 100, endMs: NOW - 50 });
    await addTagRow(runner, repoId, { name: "expired", manifestId: m.id, startMs: NOW - 100, expiresMs: NOW });
    expect(await open().list(repoId, undefined, undefined)).toEqual(["B", "a", "b", "c"]);
    expect(await open().list(repoId, "a", 2)).toEqual(["b", "c"]);
  });

  test("history: live periods and those ended within the time machine window, newest first; an expiry passed counts as the end", async () => {
    const runner = backend().runner;
    const repoId = await addRepository(runner, "ns/app");
    await setTimeMachine(runner, "ns", 100);
    const m = await addManifestRow(runner, repoId, "m");
    await addTagRow(runner, repoId, { name: "live", manifestId: m.id, startMs: NOW - 10, immutable: true });
    await addTagRow(runner, repoId, { name: "recent", manifestId: m.id, startMs: NOW - 20, endMs: NOW - 50_000 });
    await addTagRow(runner, repoId, { name: "old", manifestId: m.id, startMs: NOW - 300_000, endMs: NOW - 200_000 });
    await addTagRow(runner, repoId, { name: "expired", manifestId: m.id, startMs: NOW - 30, expiresMs: NOW - 5 });
    // An expiry before its start: the period ended when it started (never before).
    await addTagRow(runner, repoId, { name: "odd", manifestId: m.id, startMs: NOW - 40, expiresMs: NOW - 500_000 });
    const tags = open();
    expect(await tags.timeMachineSeconds(repoId)).toBe(100);
    const all = await tags.history(repoId, { offset: 0, limit: 10 });
    expect(all.map((p) => [p.name, p.endMs, p.expiresMs, p.immutable, p.digest])).toEqual([
      ["live", undefined, undefined, true, m.digest],
      ["recent", NOW - 50_000, undefined, false, m.digest],
      ["expired", NOW - 5, NOW - 5, false, m.digest],
      ["odd", NOW - 40, NOW - 500_000, false, m.digest],
    ]);
    expect((await tags.history(repoId, { onlyActive: true, offset: 0, limit: 10 })).map((p) => p.name)).toEqual(["live"]);
    expect((await tags.history(repoId, { name: "recent", offset: 0, limit: 10 })).map((p) => p.name)).toEqual(["recent"]);
    expect((await tags.history(repoId, { offset: 1, limit: 2 })).map((p) => p.name)).toEqual(["recent", "expired"]);
  });
});
