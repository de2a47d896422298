// A push that creates a repository in an organization applies the org's default permissions
// (prototypes), as Quay does for a user or robot pushing to a new repository (reference §2.10).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { registryAuth } from "../support/registryClient";
import { orgAdd, robotAdd } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import { createUsers, startTestServer, type TestServer } from "../support/server";

const PASSWORDS = { owen: "owen-Secret-1", carl: "carl-Secret-1", dana: "dana-Secret-1" } as const;

let server: TestServer;
let stores: Stores;
let ids: { carl: number; dana: number; devs: number; ops: number; robot: number };
let robotToken: string;

beforeAll(async () => {
  server = await startTestServer({ auth: "token" }, { adminPassword: "admin-Secret-1" });
  stores = server.server.ctx.stores;
  const users = await createUsers(stores, PASSWORDS);
  orgAdd(stores, "acme", "owen");
  const ns = stores.orgs.namespace("acme")!.id;
  const ops = stores.orgs.setTeam(ns, "ops", "creator");
  const devs = stores.orgs.setTeam(ns, "devs", "member");
  stores.orgs.addMember(ops, { userId: users.carl.id });
  stores.orgs.addMember(devs, { userId: users.dana.id });
  robotToken = robotAdd(stores, "acme+ci");
  const robot = stores.robots.byName("acme+ci")!.id;
  stores.orgs.addMember(ops, { robotId: robot });
  ids = { carl: users.carl.id, dana: users.dana.id, devs, ops, robot };

  stores.prototypes.create({ namespaceId: ns, delegate: { teamId: devs }, role: "read" });
  stores.prototypes.create({ namespaceId: ns, activating: { userId: users.carl.id }, delegate: { userId: users.dana.id }, role: "write" });
  stores.prototypes.create({ namespaceId: ns, activating: { robotId: robot }, delegate: { teamId: devs }, role: "admin" });
});
afterAll(async () => {
  await server?.stop();
});

async function pushToken(user: string, secret: string, repo: string): Promise<Response> {
  return registryAuth(server.url, [user, secret], `repository:${repo}:push,pull`);
}

const grants = (repo: string) =>
  stores.permissions
    .grantsOfRepo(stores.repositories.find(repo)!.id)
    .map((g) => `${g.kind}:${g.name}:${g.role}`)
    .sort();

describe("repositories created by a push", () => {
  test("a user's push: admin for the user, prototypes for anybody and for that user", async () => {
    const res = await pushToken("carl", PASSWORDS.carl, "acme/by-carl");
    expect(res.status).toBe(200);
    expect(grants("acme/by-carl")).toEqual(["team:devs:read", "user:carl:admin", "user:dana:write"]);
  });

  test("a robot's push: the prototype naming the robot beats the one for anybody", async () => {
    const res = await pushToken("acme+ci", robotToken, "acme/by-robot");
    expect(res.status).toBe(200);
    expect(grants("acme/by-robot")).toEqual(["robot:acme+ci:admin", "team:devs:admin"]);
  });

  test("a push into an existing repository changes no grants", async () => {
    await pushToken("carl", PASSWORDS.carl, "acme/again");
    const before = grants("acme/again");
    await pushToken("acme+ci", robotToken, "acme/again");
    expect(grants("acme/again")).toEqual(before);
  });

  test("a caller who may not create gets no repository", async () => {
    const res = await pushToken("dana", PASSWORDS.dana, "acme/by-dana");
    expect(res.status).toBe(200);
    expect(stores.repositories.find("acme/by-dana")).toBeUndefined();
  });
});
