import { and, asc, eq, inArray, or } from "drizzle-orm";
import { all, changes, one, type Program, type Runner, type Scope, type Tables } from "../dialect/program";

export type GrantRole = "read" | "write" | "admin";
export type Grantee = { userId: number } | { robotId: number } | { teamId: number };

function granteeColumn({ repositoryPermissions: p }: Tables, g: Grantee) {
  if ("userId" in g) return eq(p.userId, g.userId);
  if ("robotId" in g) return eq(p.robotId, g.robotId);
  return eq(p.teamId, g.teamId);
}

/** The unique index a grantee's grant sits in (one grant per repository and grantee). */
function granteeKey({ repositoryPermissions: p }: Tables, g: Grantee) {
  if ("userId" in g) return [p.repositoryId, p.userId];
  if ("robotId" in g) return [p.repositoryId, p.robotId];
  return [p.repositoryId, p.teamId];
}

/**
 * Gives the grantee `role` on the repository, replacing its grant there (a new row: the newest
 * grant lists last). A step of any body, the registry's repository creation included. The insert
 * updates on conflict: two grants at once on PostgreSQL, where the delete does not wait for the
 * other's uncommitted insert, end in one row, the later's.
 */
export function* setRepoPermission(scope: Scope, repositoryId: number, grantee: Grantee, role: GrantRole): Program<void> {
  const { db, t } = scope;
  const p = t.repositoryPermissions;
  yield* changes(db.delete(p).where(and(eq(p.repositoryId, repositoryId), granteeColumn(t, grantee))));
  yield* changes(db.insert(p).values({ repositoryId, role, ...grantee }).onConflictDoUpdate({ target: granteeKey(t, grantee), set: { role } }));
}

/** Direct repository grants to users, robots and teams. */
export class PermissionStore {
  constructor(private readonly q: Runner) {}

  set(repositoryId: number, grantee: Grantee, role: GrantRole): Promise<void> {
    return this.q.transaction(function* (scope) {
      yield* setRepoPermission(scope, repositoryId, grantee, role);
    });
  }

  remove(repositoryId: number, grantee: Grantee): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      return (yield* changes(db.delete(p).where(and(eq(p.repositoryId, repositoryId), granteeColumn(t, grantee))))) > 0;
    });
  }

  /** The principal's own grant and the grants of its teams on the repository. */
  grantsOn(repositoryId: number, principal: { userId: number } | { robotId: number }, teamIds: number[]): Promise<{ direct: GrantRole | undefined; viaTeams: GrantRole[] }> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      const direct = (yield* one(db.select({ role: p.role }).from(p).where(and(eq(p.repositoryId, repositoryId), granteeColumn(t, principal)))))?.role;
      const viaTeams = teamIds.length
        ? (yield* all(db.select({ role: p.role }).from(p).where(and(eq(p.repositoryId, repositoryId), inArray(p.teamId, teamIds))))).map((r) => r.role)
        : [];
      return { direct, viaTeams };
    });
  }

  /**
   * Every grant that reaches the user or robot on the repository: its own, then those of the
   * teams it belongs to (API v1's `.../permissions/user/<name>/transitive`). Org-wide team
   * roles (owners, creators) are not grants and do not appear, as in Quay.
   */
  transitive(repositoryId: number, principal: { userId: number } | { robotId: number }): Promise<GrantRole[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      const m = t.teamMembers;
      const memberOf = db
        .select({ teamId: m.teamId })
        .from(m)
        .where("userId" in principal ? eq(m.userId, principal.userId) : eq(m.robotId, principal.robotId));
      const rows = yield* all(
        db
          .select({ role: p.role, teamId: p.teamId })
          .from(p)
          .where(and(eq(p.repositoryId, repositoryId), or(granteeColumn(t, principal), inArray(p.teamId, memberOf))))
          .orderBy(asc(p.id)),
      );
      // The direct grant first, then the teams' in the order they were granted.
      return [...rows.filter((r) => r.teamId === null), ...rows.filter((r) => r.teamId !== null)].map((r) => r.role);
    });
  }

  /** Names of the repositories of a namespace on which the user or robot holds a direct grant. */
  directRepoNames(namespaceId: number, grantee: { userId: number } | { robotId: number }): Promise<string[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      const r = t.repositories;
      const rows = yield* all(
        db
          .select({ name: r.name })
          .from(p)
          .innerJoin(r, eq(r.id, p.repositoryId))
          .where(and(eq(r.namespaceId, namespaceId), granteeColumn(t, grantee))),
      );
      return rows.map((row) => row.name).sort();
    });
  }

  /** Drops the user's or robot's direct grants on every repository of a namespace. */
  async removeAllIn(namespaceId: number, grantee: { userId: number } | { robotId: number }): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      const inNamespace = db.select({ id: t.repositories.id }).from(t.repositories).where(eq(t.repositories.namespaceId, namespaceId));
      const p = t.repositoryPermissions;
      yield* changes(db.delete(p).where(and(inArray(p.repositoryId, inNamespace), granteeColumn(t, grantee))));
    });
  }

  /** The people and robots with a direct write or admin grant on a repository of the namespace. */
  writersIn(namespaceId: number): Promise<{ name: string; repository: string; role: GrantRole }[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      const rows = yield* all(
        db
          .select({ user: t.users.username, robot: t.robots.fullName, repository: t.repositories.fullName, role: p.role })
          .from(p)
          .innerJoin(t.repositories, eq(t.repositories.id, p.repositoryId))
          .leftJoin(t.users, eq(t.users.id, p.userId))
          .leftJoin(t.robots, eq(t.robots.id, p.robotId))
          .where(and(eq(t.repositories.namespaceId, namespaceId), inArray(p.role, ["write", "admin"])))
          .orderBy(asc(t.repositories.fullName), asc(p.id)),
      );
      return rows.flatMap((r) => ((r.user ?? r.robot) !== null ? [{ name: (r.user ?? r.robot)!, repository: r.repository, role: r.role }] : []));
    });
  }

  /** Every direct grant on the repository, with the grantee's name, oldest first. */
  grantsOfRepo(repositoryId: number): Promise<{ role: GrantRole; kind: "user" | "robot" | "team"; name: string }[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      const rows = yield* all(
        db
          .select({ role: p.role, user: t.users.username, robot: t.robots.fullName, team: t.teams.name })
          .from(p)
          .leftJoin(t.users, eq(t.users.id, p.userId))
          .leftJoin(t.robots, eq(t.robots.id, p.robotId))
          .leftJoin(t.teams, eq(t.teams.id, p.teamId))
          .where(eq(p.repositoryId, repositoryId))
          .orderBy(asc(p.id)),
      );
      return rows.map((r) =>
        r.user !== null
          ? { role: r.role, kind: "user" as const, name: r.user }
          : r.robot !== null
            ? { role: r.role, kind: "robot" as const, name: r.robot }
            : { role: r.role, kind: "team" as const, name: r.team ?? "" },
      );
    });
  }

  /** The repositories a team, user or robot holds a direct grant on, by name. */
  reposGrantedTo(grantee: Grantee): Promise<{ repository: string; visibility: "public" | "private"; role: GrantRole }[]> {
    return this.q.run(function* ({ db, t }) {
      const p = t.repositoryPermissions;
      const r = t.repositories;
      return yield* all(
        db
          .select({ repository: r.fullName, visibility: r.visibility, role: p.role })
          .from(p)
          .innerJoin(r, eq(r.id, p.repositoryId))
          .where(granteeColumn(t, grantee))
          .orderBy(asc(r.fullName)),
      );
    });
  }
}
