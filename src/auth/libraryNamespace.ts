// The reserved `library` namespace: `docker pull alpine` is `library/alpine`, so whoever holds
// `library` serves every unqualified pull. Berth holds it as an organization whose owners team
// is exactly the superusers (config `superusers` and accounts flagged superuser; read-only
// superusers excluded), set at every start and when an account becomes a superuser.
//
// A data directory from before the reservation may have it otherwise:
// - missing: the organization is made;
// - an ownerless namespace (open mode's pushes): it becomes the organization;
// - an organization anybody could have made: its owners team is reset to the superusers and
//   whoever else may push there (creator or admin teams, direct write or admin grants) is named
//   in a warning at every start;
// - a user account: if the account is a superuser, the operator trusts it and it is left alone
//   with a warning; otherwise it is disabled (its sessions, robots and tokens stop) and its
//   public repositories become private, so unqualified pulls stop serving them. Nothing is
//   deleted: a superuser inspects the account, moves what is wanted, deletes the account, and
//   the next start makes the organization.
import type { Config } from "../config";
import type { Logger } from "../log";
import { LIBRARY_NAMESPACE } from "../oci";
import type { Stores } from "../store";

type LibraryStores = Pick<Stores, "users" | "orgs" | "teams" | "repositories" | "permissions">;
type SuperuserLists = Pick<Config, "superusers" | "readonlySuperusers">;

/** The ids of the superusers who own `library`: configured or flagged, not read-only. */
export async function superuserIds(users: LibraryStores["users"], lists: SuperuserLists): Promise<number[]> {
  const readonly = new Set(lists.readonlySuperusers);
  const ids = new Set<number>();
  for (const name of lists.superusers) {
    const user = readonly.has(name) ? undefined : await users.byName(name);
    if (user) ids.add(user.id);
  }
  for (const user of await users.flaggedSuperusers()) if (!readonly.has(user.username)) ids.add(user.id);
  return [...ids];
}

/** Start: claims `library` and sets its owners (see the top of this file). */
export async function bootstrapLibrary(stores: LibraryStores, lists: SuperuserLists, log: Logger): Promise<void> {
  const claim = await stores.orgs.claimReserved(LIBRARY_NAMESPACE);
  if (claim.kind === "user") return containUserLibrary(stores, lists, claim.namespaceId, log);
  if (claim.kind !== "org") log.info(`${claim.kind === "created" ? "created" : "converted the ownerless namespace into"} the organization "${LIBRARY_NAMESPACE}" (unqualified names such as "alpine" live there), owned by the superusers`);
  const changed = await stores.orgs.setOwners(claim.namespaceId, await superuserIds(stores.users, lists));
  if (changed.added.length) log.info(`${LIBRARY_NAMESPACE} owners: added ${changed.added.join(", ")} (superusers)`);
  if (changed.removed.length) log.info(`WARNING: ${LIBRARY_NAMESPACE} owners: removed ${changed.removed.join(", ")} (not superusers; the owners team of ${LIBRARY_NAMESPACE} follows the superusers)`);
  const others = await otherWriters(stores, claim.namespaceId, lists);
  if (others.length) {
    log.info(`WARNING: besides the superusers, these may push to ${LIBRARY_NAMESPACE} (what unqualified pulls such as "docker pull alpine" serve): ${others.join("; ")}`);
  }
}

/** After an account became a superuser at run time: it joins the owners of `library`. */
export async function syncLibraryOwners(stores: LibraryStores, lists: SuperuserLists): Promise<void> {
  const ns = await stores.orgs.org(LIBRARY_NAMESPACE);
  if (ns) await stores.orgs.setOwners(ns.id, await superuserIds(stores.users, lists));
}

async function containUserLibrary(stores: LibraryStores, lists: SuperuserLists, namespaceId: number, log: Logger): Promise<void> {
  const holder = (await stores.users.byName(LIBRARY_NAMESPACE))!;
  if ((await superuserIds(stores.users, lists)).includes(holder.id)) {
    log.info(`WARNING: the reserved namespace "${LIBRARY_NAMESPACE}" is the superuser account ${holder.username}, not an organization; it serves unqualified pulls ("docker pull alpine")`);
    return;
  }
  if (holder.enabled) await stores.users.update(holder.id, { enabled: false });
  const madePrivate = await stores.repositories.makeNamespacePrivate(namespaceId);
  log.info(
    `WARNING: the reserved namespace "${LIBRARY_NAMESPACE}" is held by the ordinary user account "${holder.username}", so it served ` +
      `every unqualified pull ("docker pull alpine" is ${LIBRARY_NAMESPACE}/alpine). Berth has disabled the account` +
      (madePrivate.length ? ` and made its public repositories private (${madePrivate.join(", ")})` : "") +
      `. Nothing was deleted: inspect it as a superuser, copy what you want to keep, delete the account ` +
      `(DELETE /api/v1/superuser/users/${holder.username}); the next start creates the "${LIBRARY_NAMESPACE}" organization owned by the superusers. ` +
      `If the account is yours and trusted, make it a superuser (config "superusers") to keep it as it is.`,
  );
}

/** Who may push to the org besides its owners: creator and admin teams, direct write and admin grants to others than superusers. */
async function otherWriters(stores: LibraryStores, namespaceId: number, lists: SuperuserLists): Promise<string[]> {
  const teams: string[] = [];
  for (const t of await stores.teams.teams(namespaceId)) {
    if (t.name === "owners" || (t.role !== "admin" && t.role !== "creator")) continue;
    const members = (await stores.teams.teamMembers(t.id)).map((m) => m.name);
    if (members.length > 0) teams.push(`team ${t.name} (${t.role}): ${members.join(", ")}`);
  }
  const superusers = new Set<string>();
  for (const id of await superuserIds(stores.users, lists)) superusers.add((await stores.users.byId(id))!.username);
  const grants = (await stores.permissions.writersIn(namespaceId))
    .filter((g) => !superusers.has(g.name))
    .map((g) => `${g.name} (${g.role} on ${g.repository})`);
  return grants.length ? [...teams, `direct grants: ${grants.join(", ")}`] : teams;
}
