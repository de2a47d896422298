// RobotStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts): tokens kept
// encrypted with their digest, names unique per owner, two creates of one robot at once.
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { one } from "../../../src/store/dialect/program";
import { FieldCipher } from "../../../src/store/fieldEncryption";
import { RobotStore } from "../../../src/store/meta/robots";
import { addRepository, describeEachDialect, namespaceIdOf } from "./eachDialect";

const cipher = new FieldCipher(new Uint8Array(32).fill(7), "robot token");

describeEachDialect("robots.test.ts", "RobotStore", (backend) => {
  /** Namespaces "acme" and "pat" (through a repository each) and the store. */
  async function owners() {
    const { runner } = backend();
    await addRepository(runner, "acme/app");
    await addRepository(runner, "pat/app");
    return { robots: new RobotStore(runner, cipher), acme: await namespaceIdOf(runner, "acme"), pat: await namespaceIdOf(runner, "pat") };
  }

  function storedToken(fullName: string) {
    return backend().runner.run(function* ({ db, t }) {
      return (yield* one(db.select({ token: t.robots.token, digest: t.robots.tokenDigest }).from(t.robots).where(eq(t.robots.fullName, fullName))))!;
    });
  }

  test("create answers the robot with its owner; the token is kept sealed, its digest beside it", async () => {
    const { robots, acme } = await owners();
    const made = await robots.create("acme", "ci", "TOKEN-1", "builds");
    expect(made).toEqual({ id: made!.id, fullName: "acme+ci", shortName: "ci", namespaceId: acme, owner: "acme", tokenDigest: robots.tokenDigest("TOKEN-1") });
    expect(await robots.byName("acme+ci")).toEqual(made);
    const stored = await storedToken("acme+ci");
    expect(stored.token).toStartWith("v1$$");
    expect(stored.token).not.toContain("TOKEN-1");
    expect(stored.digest).toBe(robots.tokenDigest("TOKEN-1"));
    const details = await robots.details("acme+ci");
    expect(details).toEqual({ id: made!.id, fullName: "acme+ci", shortName: "ci", description: "builds", token: "TOKEN-1", createdMs: details!.createdMs });
    expect(typeof details!.createdMs).toBe("number");
  });

  test("create refuses a missing owner and a name the owner has; other owners may reuse it", async () => {
    const { robots } = await owners();
    expect(await robots.create("nobody", "ci", "t")).toBeUndefined();
    expect(await robots.create("acme", "ci", "t1")).toBeDefined();
    expect(await robots.create("acme", "ci", "t2")).toBeUndefined();
    expect((await robots.details("acme+ci"))!.token).toBe("t1");
    expect(await robots.create("pat", "ci", "t3")).toMatchObject({ fullName: "pat+ci", owner: "pat" });
    expect(await robots.byName("nobody+ci")).toBeUndefined();
    expect(await robots.details("nobody+ci")).toBeUndefined();
  });

  test("creates of one robot at once: one is made, the others answer undefined", async () => {
    const { robots, acme } = await owners();
    const made = await Promise.all(Array.from({ length: 5 }, (_, i) => robots.create("acme", "ci", `t${i}`)));
    expect(made.filter(Boolean)).toHaveLength(1);
    const winner = made.find(Boolean)!;
    expect((await robots.listOf(acme)).map((r) => r.fullName)).toEqual(["acme+ci"]);
    expect((await robots.byName("acme+ci"))!.tokenDigest).toBe(winner.tokenDigest);
  });

  test("setToken replaces the token and its digest; delete removes the robot", async () => {
    const { robots, acme } = await owners();
    const made = (await robots.create("acme", "ci", "OLD"))!;
    await robots.setToken(made.id, "NEW");
    expect((await robots.byName("acme+ci"))!.tokenDigest).toBe(robots.tokenDigest("NEW"));
    expect((await robots.details("acme+ci"))!.token).toBe("NEW");
    await robots.delete(made.id);
    expect(await robots.byName("acme+ci")).toBeUndefined();
    expect(await robots.listOf(acme)).toEqual([]);
  });

  test("listOf: a namespace's robots by short name, tokens opened; another key's token reads as empty", async () => {
    const { runner } = backend();
    const { robots, acme, pat } = await owners();
    await robots.create("acme", "zeta", "Z");
    await robots.create("acme", "alpha", "A");
    await robots.create("pat", "mine", "M");
    expect((await robots.listOf(acme)).map((r) => [r.fullName, r.token])).toEqual([
      ["acme+alpha", "A"],
      ["acme+zeta", "Z"],
    ]);
    expect((await robots.listOf(pat)).map((r) => r.shortName)).toEqual(["mine"]);
    const otherKey = new RobotStore(runner, new FieldCipher(new Uint8Array(32).fill(8), "robot token"));
    expect((await otherKey.details("acme+alpha"))!.token).toBe("");
  });

  test("matching: short names by prefix within one namespace, taken literally, ignoring case", async () => {
    const { robots, acme, pat } = await owners();
    await robots.create("acme", "deployer", "t1");
    await robots.create("acme", "de_x", "t2");
    await robots.create("acme", "build", "t3");
    await robots.create("pat", "deployer", "t4");
    expect(await robots.matching(acme, "dep", 10)).toEqual([{ fullName: "acme+deployer" }]);
    expect(await robots.matching(acme, "de", 10)).toEqual([{ fullName: "acme+de_x" }, { fullName: "acme+deployer" }]);
    expect(await robots.matching(acme, "de_", 10)).toEqual([{ fullName: "acme+de_x" }]);
    expect(await robots.matching(acme, "DEP", 10)).toEqual([{ fullName: "acme+deployer" }]);
    expect(await robots.matching(acme, "", 2)).toEqual([{ fullName: "acme+build" }, { fullName: "acme+de_x" }]);
    expect(await robots.matching(pat, "dep", 10)).toEqual([{ fullName: "pat+deployer" }]);
  });
});
