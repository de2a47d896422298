// StarStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { StarStore } from "../../../src/store/meta/stars";
import { addRepository, addUser, describeEachDialect } from "./eachDialect";

describeEachDialect("stars.test.ts", "StarStore", (backend) => {
  async function world() {
    const { runner } = backend();
    const ann = await addUser(runner, "ann");
    const bob = await addUser(runner, "bob");
    const repos: Record<string, number> = {};
    // Names whose byte order differs from a language's ("a-c" < "a/b" < "a_b"): both dialects sort byte-wise.
    for (const name of ["ns/b", "ns/a_b", "ns/a-c", "ns/a/b", "other/z"]) repos[name] = await addRepository(runner, name);
    return { stars: new StarStore(runner), ann, bob, repos };
  }

  test("starring twice stores one star; unstar answers whether there was one", async () => {
    const { stars, ann, repos } = await world();
    await stars.star(ann, repos["ns/b"]!);
    await stars.star(ann, repos["ns/b"]!);
    expect(await stars.countsFor([repos["ns/b"]!])).toEqual(new Map([[repos["ns/b"]!, 1]]));
    expect(await stars.unstar(ann, repos["ns/b"]!)).toBe(true);
    expect(await stars.unstar(ann, repos["ns/b"]!)).toBe(false);
    expect(await stars.countsFor([repos["ns/b"]!])).toEqual(new Map());
  });

  test("starredBy pages the user's stars in byte order of the full name", async () => {
    const { stars, ann, bob, repos } = await world();
    for (const repo of Object.values(repos)) await stars.star(ann, repo);
    await stars.star(bob, repos["other/z"]!);
    expect(await stars.starredBy(ann, undefined, 10)).toEqual(["ns/a-c", "ns/a/b", "ns/a_b", "ns/b", "other/z"]);
    expect(await stars.starredBy(ann, undefined, 2)).toEqual(["ns/a-c", "ns/a/b"]);
    expect(await stars.starredBy(ann, "ns/a/b", 2)).toEqual(["ns/a_b", "ns/b"]);
    expect(await stars.starredBy(ann, "other/z", 2)).toEqual([]);
    expect(await stars.starredBy(bob, undefined, 10)).toEqual(["other/z"]);
  });

  test("countsFor counts users per repository as numbers; starredAmong picks the user's", async () => {
    const { stars, ann, bob, repos } = await world();
    await stars.star(ann, repos["ns/b"]!);
    await stars.star(bob, repos["ns/b"]!);
    await stars.star(bob, repos["other/z"]!);
    const ids = [repos["ns/b"]!, repos["other/z"]!, repos["ns/a_b"]!];
    expect(await stars.countsFor(ids)).toEqual(new Map([[repos["ns/b"]!, 2], [repos["other/z"]!, 1]]));
    expect(await stars.starredAmong(ann, ids)).toEqual(new Set([repos["ns/b"]!]));
    expect(await stars.starredAmong(bob, ids)).toEqual(new Set([repos["ns/b"]!, repos["other/z"]!]));
    expect(await stars.countsFor([])).toEqual(new Map());
    expect(await stars.starredAmong(ann, [])).toEqual(new Set());
  });

  test("a star to a repository that does not exist is refused by its foreign key", async () => {
    const { stars, ann } = await world();
    await expect(stars.star(ann, 999_999)).rejects.toThrow();
  });
});
