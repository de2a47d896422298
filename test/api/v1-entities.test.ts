// API v1 entity typeahead in process (reference quay-api.md §2.13, GET /entities/<prefix>): people
// for anyone; robots, teams, the org and team membership only for members of the namespace.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { createUsers, type TestServer } from "../support/server";
import { expectJson, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { eve: "eve-Secret-1", fay: "fay-Secret-1", gus: "gus-Secret-1", dex: "dex-Secret-1" } as const;

// acme: eve owns it, fay sits in its team devs, gus and dex are outsiders.
const world = worldForFile({
  config: { auth: "token" },
  users: PASSWORDS,
  orgs: { acme: { owner: "eve", teams: { devs: { role: "member", members: ["fay"] }, deploy: { role: "creator" } } } },
  robots: ["acme+deployer", "acme+builder", "eve+laptop"],
});
let server: TestServer;
let stores: Stores;
beforeAll(() => ({ server, stores } = world));

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const search = async (c: V1Client, prefix: string, query = "") =>
  (await expectJson(await c.get(`/api/v1/entities/${prefix}${query ? `?${query}` : ""}`), 200)).results as any[];
const names = (results: any[]) => results.map((r) => r.name);

describe("GET /api/v1/entities/<prefix>", () => {
  test("people by prefix, for anyone, without private details", async () => {
    const results = await search(new V1Client(server.url), "fa");
    expect(results).toEqual([
      { name: "fay", kind: "user", is_robot: false, avatar: expect.objectContaining({ name: "fay", kind: "user" }) },
    ]);
    // Robots, teams and the org stay hidden from anonymous callers, and so does membership.
    const scoped = await search(new V1Client(server.url), "de", "namespace=acme&includeTeams=true&includeOrgs=true");
    expect(names(scoped)).toEqual(["dex"]);
    expect(scoped[0].is_org_member).toBeUndefined();
    expect(await search(new V1Client(server.url), "ac", "namespace=acme&includeOrgs=true")).toEqual([]);
  });

  test("members of the org also get its teams, robots, the org and who is a member", async () => {
    const fay = await as("fay");
    const results = await search(fay, "de", "namespace=acme&includeTeams=true");
    expect(results).toEqual([
      { name: "deploy", kind: "team", is_org_member: true, avatar: expect.objectContaining({ name: "deploy", kind: "team" }) },
      { name: "devs", kind: "team", is_org_member: true, avatar: expect.objectContaining({ kind: "team" }) },
      { name: "acme+deployer", kind: "user", is_robot: true, is_org_member: true, avatar: expect.objectContaining({ kind: "robot" }) },
      { name: "dex", kind: "user", is_robot: false, is_org_member: false, avatar: expect.objectContaining({ kind: "user" }) },
    ]);
    // Teams only when asked for.
    expect(names(await search(fay, "de", "namespace=acme"))).toEqual(["acme+deployer", "dex"]);
    expect((await search(fay, "eve", "namespace=acme")).find((r) => r.name === "eve")?.is_org_member).toBe(true);
    expect(await search(fay, "ac", "namespace=acme&includeOrgs=true")).toEqual([
      { name: "acme", kind: "org", is_org_member: true, avatar: expect.objectContaining({ name: "acme", kind: "org" }) },
    ]);
    // A robot by its full name.
    expect(names(await search(fay, "acme+b", "namespace=acme"))).toEqual(["acme+builder"]);
  });

  test("outsiders see people only, with no membership", async () => {
    const gus = await as("gus");
    const results = await search(gus, "de", "namespace=acme&includeTeams=true&includeOrgs=true");
    expect(names(results)).toEqual(["dex"]);
    expect(results[0].is_org_member).toBeUndefined();
    expect(await search(gus, "ac", "namespace=acme&includeOrgs=true")).toEqual([]);
  });

  test("an OAuth token counts as a member only with an org scope (Quay's scope caps)", async () => {
    const eve = (await stores.users.byName("eve"))!;
    const bearer = async (scope: string) => {
      const minted = await server.server.ctx.oauth.mint(eve.id, scope);
      if (!minted.ok) throw new Error(minted.message);
      return { headers: { Authorization: `Bearer ${minted.token}` } };
    };
    const find = async (scope: string) =>
      (await expectJson(await fetch(`${server.url}/api/v1/entities/de?namespace=acme&includeTeams=true`, await bearer(scope)), 200)).results as any[];
    // The org's owner, through a repo:read token: what an outsider sees.
    const limited = await find("repo:read");
    expect(names(limited)).toEqual(["dex"]);
    expect(limited[0].is_org_member).toBeUndefined();
    expect(names(await find("org:admin"))).toEqual(["deploy", "devs", "acme+deployer", "dex"]);
  });

  test("a user's own robots with namespace=<self>, nobody else's", async () => {
    expect(names(await search(await as("eve"), "lap", "namespace=eve"))).toEqual(["eve+laptop"]);
    expect(await search(await as("gus"), "lap", "namespace=eve")).toEqual([]);
  });

  test("at most ten people, an exact name first", async () => {
    await createUsers(stores, Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`zed${i}`, "zed-Secret-1"])));
    await createUsers(stores, { zed: "zed-Secret-1" });
    const results = await search(new V1Client(server.url), "zed");
    expect(results.length).toBe(10);
    expect(results[0].name).toBe("zed");
    expect(names(await search(new V1Client(server.url), "zed1"))).toEqual(["zed1", "zed10", "zed11"]);
  });

  test("the prefix is lower-cased and spaces dropped; LIKE wildcards match only themselves", async () => {
    const anon = new V1Client(server.url);
    expect(names(await search(anon, "F%20A"))).toEqual(["fay"]);
    expect(await search(anon, "f_y")).toEqual([]);
    expect(await search(anon, "%25")).toEqual([]);
  });
});
