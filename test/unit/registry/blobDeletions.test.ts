// Announced blob deletions (store/blobDeletions.ts) on both dialects: a blob row and an
// announcement never stand together; a finished upload's row waits while one stands.
import { expect, test } from "bun:test";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { runOperation } from "../../../src/registry/operation";
import * as blobSteps from "../../../src/registry/blobSteps";
import { describeEachDialect } from "../store/eachDialect";
import { registryOver, repository, sha256 } from "./registryOnEachDialect";

describeEachDialect(import.meta.file, "announced blob deletions", (get) => {
  test("no announcement where a row exists, no row while one stands; ended, the row may come", async () => {
    const { registry, writes, events, link } = registryOver(get().runner);
    const repo = await repository(get().runner, "org/app");
    const [kept, freed] = [sha256("kept"), sha256("freed")];
    expect((await link(repo, kept, 4)).kind).toBe("ok");

    const announced = await registry.announceBlobDeletions({ digests: [kept, freed], owner: "elsewhere/1" });
    expect(announced.digests).toEqual([freed]);
    // A second collector finds it taken.
    expect((await registry.announceBlobDeletions({ digests: [freed], owner: "elsewhere/2" })).digests).toEqual([]);

    const linking = () => runOperation({ writes, events }, (op) => blobSteps.finishUpload(op, { repo, digest: freed, size: 5, actor: SYSTEM_ACTOR }));
    expect(await linking()).toEqual({ kind: "deletionUnderWay", digest: freed });
    await registry.endBlobDeletions(announced);
    expect((await link(repo, freed, 5)).kind).toBe("ok");
    expect((await registry.announceBlobDeletions({ digests: [freed], owner: "elsewhere/1" })).digests).toEqual([]);
  });

  test("an announcement and a row for one digest at once: one of them only (the digest's lock)", async () => {
    const { registry, link, warm } = registryOver(get().runner);
    const repo = await repository(get().runner, "org/app");
    await warm();
    for (let i = 0; i < 20; i++) {
      const digest = sha256(`race-${i}`);
      const [announced, linked] = await Promise.all([registry.announceBlobDeletions({ digests: [digest], owner: "elsewhere/1" }), link(repo, digest, 1)]);
      // Exactly one: announced and the push told to wait, or linked and nothing announced.
      expect({ announced: announced.digests.length === 1, linked: linked.kind === "ok" }).toEqual(announced.digests.length === 1 ? { announced: true, linked: false } : { announced: false, linked: true });
      if (announced.digests.length) await registry.endBlobDeletions(announced);
    }
  });

  test("clearing: those whose owner is gone go at once, the others stay until the bound", async () => {
    const { registry } = registryOver(get().runner);
    await registry.announceBlobDeletions({ digests: [sha256("a")], owner: "gone/1" });
    await registry.announceBlobDeletions({ digests: [sha256("b")], owner: "alive/1" });
    expect(await registry.clearAbandonedDeletions({ ownerGone: (owner) => owner.startsWith("gone/") })).toEqual([sha256("a")]);
    expect(await registry.clearAbandonedDeletions({ ownerGone: () => false })).toEqual([]);
    expect((await registry.announceBlobDeletions({ digests: [sha256("a"), sha256("b")], owner: "alive/2" })).digests).toEqual([sha256("a")]);
  });
});
