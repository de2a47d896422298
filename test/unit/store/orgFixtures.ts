// An organization to test org, team, grant and prototype stores on both dialects: its rows are
// written by the stores under test and by bodies (./eachDialect.ts), never by SQLite alone.
import { eq } from "drizzle-orm";
import { all, one, type Runner } from "../../../src/store/dialect/program";
import { OrgStore } from "../../../src/store/meta/orgs";
import { PermissionStore } from "../../../src/store/meta/permissions";
import { PrototypeStore } from "../../../src/store/meta/prototypes";
import { TeamStore } from "../../../src/store/meta/teams";
import { addUser } from "./eachDialect";

export function orgStores(runner: Runner) {
  return { orgs: new OrgStore(runner), teams: new TeamStore(runner), permissions: new PermissionStore(runner), prototypes: new PrototypeStore(runner) };
}

/** A robot `owner+short` of an existing namespace. */
export function addRobot(runner: Runner, owner: string, short: string): Promise<number> {
  return runner.transaction(function* ({ db, t }) {
    const ns = (yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, owner))))!;
    const [row] = yield* all(
      db.insert(t.robots).values({ namespaceId: ns.id, shortName: short, fullName: `${owner}+${short}`, token: "sealed" }).returning({ id: t.robots.id }),
    );
    return row!.id;
  });
}

/** A repository `ns/name` in an existing namespace. */
export function addRepositoryIn(runner: Runner, namespaceId: number, fullName: string): Promise<number> {
  return runner.run(function* ({ db, t }) {
    const name = fullName.slice(fullName.indexOf("/") + 1);
    const [row] = yield* all(db.insert(t.repositories).values({ namespaceId, name, fullName }).returning({ id: t.repositories.id }));
    return row!.id;
  });
}

/** A user's own namespace (the user store makes one with each account). */
export function addUserNamespace(runner: Runner, name: string): Promise<void> {
  return runner.run(function* ({ db, t }) {
    yield* all(db.insert(t.namespaces).values({ name, kind: "user" }).returning({ id: t.namespaces.id }));
  });
}

/**
 * Prototypes of which two apply when carl creates a repository: devs get write (naming carl beats
 * anybody's read), the robot write; uma's is not carl's, and carl's own grant is skipped.
 */
export async function carlsPrototypes(w: Awaited<ReturnType<typeof acmeWorld>>): Promise<void> {
  await w.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
  await w.prototypes.create({ namespaceId: w.ns, activating: { userId: w.carl }, delegate: { teamId: w.devs }, role: "write" });
  await w.prototypes.create({ namespaceId: w.ns, activating: { userId: w.uma }, delegate: { userId: w.dana }, role: "admin" });
  await w.prototypes.create({ namespaceId: w.ns, delegate: { userId: w.carl }, role: "read" }); // the creator: skipped
  await w.prototypes.create({ namespaceId: w.ns, delegate: { robotId: w.ci }, role: "write" });
}

/** Org "acme" (owner: owen) with team "devs" (dana, robot acme+ci), team "ops" (carl, creator); users carl, uma. */
export async function acmeWorld(runner: Runner) {
  const stores = orgStores(runner);
  const [owen, dana, carl, uma] = [await addUser(runner, "owen"), await addUser(runner, "dana"), await addUser(runner, "carl"), await addUser(runner, "uma")];
  const org = await stores.orgs.create("acme", owen);
  if (org.kind !== "ok") throw new Error("org");
  const devs = await stores.teams.setTeam(org.namespaceId, "devs", "member");
  const ops = await stores.teams.setTeam(org.namespaceId, "ops", "creator");
  await stores.teams.addMember(devs, { userId: dana });
  await stores.teams.addMember(ops, { userId: carl });
  const ci = await addRobot(runner, "acme", "ci");
  await stores.teams.addMember(devs, { robotId: ci });
  return { ...stores, ns: org.namespaceId, owen, dana, carl, uma, devs, ops, ci };
}
