// A push that creates a repository in an organization applies the org's default permissions
// (prototypes), as Quay does for a user or robot pushing to a new repository (reference §2.10).
import { beforeAll, describe, expect, test } from "bun:test";
import { registryAuth } from "../support/registryClient";
import type { Stores } from "../../src/store";
import { type TestServer } from "../support/server";
import { worldForFile } from "../support/world";

const PASSWORDS = { owen: "owen-Secret-1", carl: "carl-Secret-1", dana: "dana-Secret-1" } as const;

const world = worldForFile({
  config: { auth: "token" },
  users: PASSWORDS,
  orgs: { acme: { owner: "owen", teams: { ops: { role: "creator", members: ["carl", "acme+ci"] }, devs: { role: "member", members: ["dana"] } } } },
  robots: ["acme+ci"],
});
let server: TestServer;
let stores: Stores;
let robotToken: string;
beforeAll(async () => {
  ({ server, stores } = world);
  robotToken = world.robots["acme+ci"]!;
  const ns = (await stores.orgs.namespace("acme"))!.id;
  const [carl, dana, devs] = [world.users.carl.id, world.users.dana.id, await world.teamId("acme", "devs")];
  const robot = (await stores.robots.byName("acme+ci"))!.id;
  await stores.prototypes.create({ namespaceId: ns, delegate: { teamId: devs }, role: "read" });
  await stores.prototypes.create({ namespaceId: ns, activating: { userId: carl }, delegate: { userId: dana }, role: "write" });
  await stores.prototypes.create({ namespaceId: ns, activating: { robotId: robot }, delegate: { teamId: devs }, role: "admin" });
});

async function pushToken(user: string, secret: string, repo: string): Promise<Response> {
  return registryAuth(server.url, [user, secret], `repository:${repo}:push,pull`);
}

const grants = async (repo: string) =>
  (await stores.permissions.grantsOfRepo((await stores.repositories.find(repo))!.id))
    .map((g) => `${g.kind}:${g.name}:${g.role}`)
    .sort();

describe("repositories created by a push", () => {
  test("a user's push: admin for the user, prototypes for anybody and for that user", async () => {
    const res = await pushToken("carl", PASSWORDS.carl, "acme/by-carl");
    expect(res.status).toBe(200);
    expect(await grants("acme/by-carl")).toEqual(["team:devs:read", "user:carl:admin", "user:dana:write"]);
  });

  test("a robot's push: the prototype naming the robot beats the one for anybody", async () => {
    const res = await pushToken("acme+ci", robotToken, "acme/by-robot");
    expect(res.status).toBe(200);
    expect(await grants("acme/by-robot")).toEqual(["robot:acme+ci:admin", "team:devs:admin"]);
  });

  test("a push into an existing repository changes no grants", async () => {
    await pushToken("carl", PASSWORDS.carl, "acme/again");
    const before = await grants("acme/again");
    await pushToken("acme+ci", robotToken, "acme/again");
    expect(await grants("acme/again")).toEqual(before);
  });

  test("a caller who may not create gets no repository", async () => {
    const res = await pushToken("dana", PASSWORDS.dana, "acme/by-dana");
    expect(res.status).toBe(200);
    expect((await stores.repositories.find("acme/by-dana"))).toBeUndefined();
  });
});
