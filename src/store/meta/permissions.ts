import { and, asc, eq, inArray, or } from "drizzle-orm";
import type { MetaDb } from "../db";
import { repositories, repositoryPermissions, robots, teamMembers, teams, users } from "../schema";

export type GrantRole = "read" | "write" | "admin";
export type Grantee = { userId: number } | { robotId: number } | { teamId: number };

function granteeColumn(g: Grantee) {
  if ("userId" in g) return eq(repositoryPermissions.userId, g.userId);
  if ("robotId" in g) return eq(repositoryPermissions.robotId, g.robotId);
  return eq(repositoryPermissions.teamId, g.teamId);
}

/** Direct repository grants to users, robots and teams. */
export class PermissionStore {
  constructor(private readonly db: MetaDb) {}

  set(repositoryId: number, grantee: Grantee, role: GrantRole): void {
    this.db.transaction((tx) => {
      tx.delete(repositoryPermissions).where(and(eq(repositoryPermissions.repositoryId, repositoryId), granteeColumn(grantee))).run();
      tx.insert(repositoryPermissions).values({ repositoryId, role, ...grantee }).run();
    });
  }

  remove(repositoryId: number, grantee: Grantee): boolean {
    const gone = this.db
      .delete(repositoryPermissions)
      .where(and(eq(repositoryPermissions.repositoryId, repositoryId), granteeColumn(grantee)))
      .returning({ id: repositoryPermissions.id })
      .all();
    return gone.length > 0;
  }

  /** The principal's own grant and the grants of its teams on the repository. */
  grantsOn(repositoryId: number, principal: { userId: number } | { robotId: number }, teamIds: number[]) {
    const direct = this.db
      .select({ role: repositoryPermissions.role })
      .from(repositoryPermissions)
      .where(and(eq(repositoryPermissions.repositoryId, repositoryId), granteeColumn(principal)))
      .get()?.role;
    const viaTeams = teamIds.length
      ? this.db
          .select({ role: repositoryPermissions.role })
          .from(repositoryPermissions)
          .where(and(eq(repositoryPermissions.repositoryId, repositoryId), inArray(repositoryPermissions.teamId, teamIds)))
          .all()
          .map((r) => r.role)
      : [];
    return { direct, viaTeams };
  }

  /**
   * Every grant that reaches the user or robot on the repository: its own, then those of the
   * teams it belongs to (API v1's `.../permissions/user/<name>/transitive`). Org-wide team
   * roles (owners, creators) are not grants and do not appear, as in Quay.
   */
  transitive(repositoryId: number, principal: { userId: number } | { robotId: number }): GrantRole[] {
    const memberOf = this.db
      .select({ teamId: teamMembers.teamId })
      .from(teamMembers)
      .where("userId" in principal ? eq(teamMembers.userId, principal.userId) : eq(teamMembers.robotId, principal.robotId));
    const rows = this.db
      .select({ role: repositoryPermissions.role, teamId: repositoryPermissions.teamId })
      .from(repositoryPermissions)
      .where(
        and(
          eq(repositoryPermissions.repositoryId, repositoryId),
          or(granteeColumn(principal), inArray(repositoryPermissions.teamId, memberOf)),
        ),
      )
      .orderBy(asc(repositoryPermissions.id))
      .all();
    // The direct grant first, then the teams' in the order they were granted.
    return [...rows.filter((r) => r.teamId === null), ...rows.filter((r) => r.teamId !== null)].map((r) => r.role);
  }

  /** Names of the repositories of a namespace on which the user or robot holds a direct grant. */
  directRepoNames(namespaceId: number, grantee: { userId: number } | { robotId: number }): string[] {
    return this.db
      .select({ name: repositories.name })
      .from(repositoryPermissions)
      .innerJoin(repositories, eq(repositories.id, repositoryPermissions.repositoryId))
      .where(and(eq(repositories.namespaceId, namespaceId), granteeColumn(grantee)))
      .all()
      .map((r) => r.name)
      .sort();
  }

  /** Drops the user's or robot's direct grants on every repository of a namespace. */
  removeAllIn(namespaceId: number, grantee: { userId: number } | { robotId: number }): void {
    const ids = this.db.select({ id: repositories.id }).from(repositories).where(eq(repositories.namespaceId, namespaceId)).all().map((r) => r.id);
    if (!ids.length) return;
    this.db.delete(repositoryPermissions).where(and(inArray(repositoryPermissions.repositoryId, ids), granteeColumn(grantee))).run();
  }

  /** The people and robots with a direct write or admin grant on a repository of the namespace. */
  writersIn(namespaceId: number): { name: string; repository: string; role: GrantRole }[] {
    return this.db
      .select({ user: users.username, robot: robots.fullName, repository: repositories.fullName, role: repositoryPermissions.role })
      .from(repositoryPermissions)
      .innerJoin(repositories, eq(repositories.id, repositoryPermissions.repositoryId))
      .leftJoin(users, eq(users.id, repositoryPermissions.userId))
      .leftJoin(robots, eq(robots.id, repositoryPermissions.robotId))
      .where(and(eq(repositories.namespaceId, namespaceId), inArray(repositoryPermissions.role, ["write", "admin"])))
      .orderBy(asc(repositories.fullName))
      .all()
      .flatMap((r) => (r.user ?? r.robot) !== null ? [{ name: (r.user ?? r.robot)!, repository: r.repository, role: r.role }] : []);
  }

  /** Every direct grant on the repository, with the grantee's name. */
  grantsOfRepo(repositoryId: number): { role: GrantRole; kind: "user" | "robot" | "team"; name: string }[] {
    const rows = this.db
      .select({ role: repositoryPermissions.role, user: users.username, robot: robots.fullName, team: teams.name })
      .from(repositoryPermissions)
      .leftJoin(users, eq(users.id, repositoryPermissions.userId))
      .leftJoin(robots, eq(robots.id, repositoryPermissions.robotId))
      .leftJoin(teams, eq(teams.id, repositoryPermissions.teamId))
      .where(eq(repositoryPermissions.repositoryId, repositoryId))
      .all();
    return rows.map((r) =>
      r.user !== null
        ? { role: r.role, kind: "user" as const, name: r.user }
        : r.robot !== null
          ? { role: r.role, kind: "robot" as const, name: r.robot }
          : { role: r.role, kind: "team" as const, name: r.team ?? "" },
    );
  }

  /** The repositories a team, user or robot holds a direct grant on, by name. */
  reposGrantedTo(grantee: Grantee): { repository: string; visibility: "public" | "private"; role: GrantRole }[] {
    return this.db
      .select({ repository: repositories.fullName, visibility: repositories.visibility, role: repositoryPermissions.role })
      .from(repositoryPermissions)
      .innerJoin(repositories, eq(repositories.id, repositoryPermissions.repositoryId))
      .where(granteeColumn(grantee))
      .orderBy(repositories.fullName)
      .all();
  }
}
