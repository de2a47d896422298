import type { V1App } from "./app";
import { withinScopes } from "../perm/oauthScopes";
import { tokenScopes, type Caller } from "./caller";
import type { V1Context } from "./context";
import { orgStanding } from "./guards";
import { queryFlag } from "./query";
import { avatar, orgAvatar } from "./views";

// GET /api/v1/entities/<prefix>: the typeahead behind permission and team dialogs (reference
// §2.13). Names of people are public in Quay (GET /users/<name>), so anybody may look them up;
// robots, teams and the organization itself only come back to members of the namespace (or
// to its owner, for a user's robots), and team membership is never told to outsiders.

/** Quay's cap on each kind of result. */
const LIMIT = 10;

type Entity = Record<string, unknown> & { name: string };

export function entityRoutes(api: V1App, ctx: V1Context) {
  /** The caller's own namespace, for their robots: needs user:admin when called with an OAuth token. */
  const ownNamespace = async (caller: Caller, name: string) => {
    if (caller.identity.kind !== "user" || caller.identity.user.username !== name) return undefined;
    if (!withinScopes(tokenScopes(caller), "user:admin")) return undefined;
    const ns = await ctx.stores.orgs.namespace(name);
    return ns ? { id: ns.id, name } : undefined;
  };

  return api.get(
    "/api/v1/entities/:prefix",
    async ({ caller, params, query }) => {
      // Names are lower-case ASCII without spaces; so is what can match them.
      const prefix = params.prefix.replace(/\s/g, "").toLowerCase();
      const namespace = query.namespace ?? "";
      const org = namespace ? await orgStanding(ctx, caller, namespace) : undefined;
      const member = org?.ns !== undefined && org.isMember;
      const robotNs = member ? org.ns : namespace ? await ownNamespace(caller, namespace) : undefined;

      const teams: Entity[] =
        member && queryFlag(query, "includeTeams")
          ? (await ctx.stores.teams.matchingTeams(org.ns!.id, prefix, LIMIT)).map((t) => ({
              name: t.name,
              kind: "team",
              is_org_member: true,
              avatar: avatar(t.name, "team"),
            }))
          : [];
      const orgs: Entity[] =
        member && queryFlag(query, "includeOrgs") && org.ns!.name.startsWith(prefix)
          ? [{ name: org.ns!.name, kind: "org", is_org_member: true, avatar: orgAvatar({ name: org.ns!.name, email: (await ctx.stores.namespaces.settings(org.ns!.name))?.email }) }]
          : [];

      // Typing a robot's full name (`ns+short`) finds it too.
      const shortPrefix = robotNs && prefix.startsWith(`${robotNs.name}+`) ? prefix.slice(robotNs.name.length + 1) : prefix;
      const robots: Entity[] = robotNs
        ? (await ctx.stores.robots.matching(robotNs.id, shortPrefix, LIMIT)).map((r) => ({
            name: r.fullName,
            kind: "user",
            is_robot: true,
            avatar: avatar(r.fullName, "robot"),
            ...(member ? { is_org_member: true } : {}),
          }))
        : [];
      const people: Entity[] = await Promise.all(
        (await ctx.stores.users.matching(prefix, LIMIT)).map(async (u) => ({
          name: u.username,
          kind: "user",
          is_robot: false,
          avatar: avatar(u.username, "user", u.email),
          // Whether someone is in the org is the org's business: members only (Quay tells anyone).
          ...(member ? { is_org_member: (await ctx.stores.teams.teamRolesOf(org.ns!.id, { userId: u.id })).length > 0 } : {}),
        })),
      );
      // As Quay: an exact name first so the cap never cuts it off, then the org's robots, then people.
      const exact = people.filter((p) => p.name === prefix);
      const users = [...exact, ...robots, ...people.filter((p) => p.name !== prefix)].slice(0, LIMIT);
      return { results: [...teams, ...users, ...orgs] };
    },
    { nickname: "getMatchingEntities" },
  );
}
