import { and, asc, countDistinct, eq, inArray, isNotNull, not, sql, type SQL } from "drizzle-orm";
import { asNumber } from "../dialect/fragments";
import { all, changes, one, type Program, type Runner, type Scope, type Tables } from "../dialect/program";
import { lockNamespace } from "./policyScope";
import { startsWith } from "./prefixSearch";

export type TeamRole = "member" | "creator" | "admin";
export type Member = { userId: number } | { robotId: number };

export interface TeamRow {
  id: number;
  name: string;
  role: TeamRole;
  description: string | null;
  memberCount: number;
  repoCount: number;
}

export interface TeamMemberRow {
  name: string;
  isRobot: boolean;
  email: string | null;
}

/** The org would be left without an admin user: the removal was not made. */
export type Removal = { kind: "ok"; removed: number } | { kind: "lastAdmin" };

/** SQL: the team_members rows of this user or robot. */
function isMember({ teamMembers: m }: Tables, member: Member): SQL {
  return "userId" in member ? eq(m.userId, member.userId) : eq(m.robotId, member.robotId);
}

/** How many distinct users sit in admin teams of the org, leaving out the memberships `except` matches (it must never be NULL on a user's row). */
function* adminUsers({ db, t }: Scope, namespaceId: number, except?: SQL): Program<number> {
  const m = t.teamMembers;
  const row = yield* one(
    db
      .select({ n: countDistinct(m.userId) })
      .from(m)
      .innerJoin(t.teams, eq(t.teams.id, m.teamId))
      .where(and(eq(t.teams.namespaceId, namespaceId), eq(t.teams.role, "admin"), isNotNull(m.userId), except && not(except))),
  );
  return row?.n ?? 0;
}

/**
 * Deletes the member's memberships in the org's teams `inTeams` matches, unless that leaves the
 * org, which had an admin user, with none (robots are never admin users: no guard for them). The
 * org's row is locked first: of two removals at once on PostgreSQL (the last two admins each
 * removing the other), the second counts after the first.
 */
function* removeKeepingAnAdmin(scope: Scope, namespaceId: number, member: Member, inTeams: SQL): Program<Removal> {
  const which = and(inTeams, isMember(scope.t, member))!;
  yield* lockNamespace(scope, namespaceId);
  if ("userId" in member && (yield* adminUsers(scope, namespaceId)) > 0 && (yield* adminUsers(scope, namespaceId, which)) === 0) return { kind: "lastAdmin" };
  const removed = yield* changes(scope.db.delete(scope.t.teamMembers).where(which));
  return { kind: "ok", removed };
}

/** The teams of organizations and their members (users and robots). */
export class TeamStore {
  constructor(private readonly q: Runner) {}

  /** Creates or updates a team's role. */
  setTeam(namespaceId: number, name: string, role: TeamRole, description?: string): Promise<number> {
    return this.q.run(function* ({ db, t }) {
      const [row] = yield* all(
        db
          .insert(t.teams)
          .values({ namespaceId, name, role, description })
          .onConflictDoUpdate({ target: [t.teams.namespaceId, t.teams.name], set: { role, ...(description !== undefined ? { description } : {}) } })
          .returning({ id: t.teams.id }),
      );
      return row!.id;
    });
  }

  team(namespaceId: number, name: string): Promise<{ id: number; role: TeamRole } | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select({ id: t.teams.id, role: t.teams.role }).from(t.teams).where(and(eq(t.teams.namespaceId, namespaceId), eq(t.teams.name, name))));
    });
  }

  deleteTeam(teamId: number): Promise<void> {
    return this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.teams).where(eq(t.teams.id, teamId)));
    });
  }

  /** The teams of the org in creation order, with their member and repository-grant counts. */
  teams(namespaceId: number): Promise<TeamRow[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .select({
            id: t.teams.id,
            name: t.teams.name,
            role: t.teams.role,
            description: t.teams.description,
            // Spelled out: drizzle renders columns unqualified inside sql``, and "id" would bind to the subquery's table.
            memberCount: asNumber<number>(sql`(SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = "teams"."id")`),
            repoCount: asNumber<number>(sql`(SELECT COUNT(*) FROM repository_permissions rp WHERE rp.team_id = "teams"."id")`),
          })
          .from(t.teams)
          .where(eq(t.teams.namespaceId, namespaceId))
          .orderBy(asc(t.teams.id)),
      );
    });
  }

  /** Teams of the org whose name starts with `prefix`, by name. */
  matchingTeams(namespaceId: number, prefix: string, limit: number): Promise<{ name: string }[]> {
    return this.q.run(function* ({ db, t, sql: fragments }) {
      return yield* all(
        db
          .select({ name: t.teams.name })
          .from(t.teams)
          .where(and(eq(t.teams.namespaceId, namespaceId), startsWith(fragments, t.teams.name, prefix)))
          .orderBy(asc(t.teams.name))
          .limit(limit),
      );
    });
  }

  addMember(teamId: number, member: Member): Promise<void> {
    return this.q.run(function* ({ db, t }) {
      yield* changes(db.insert(t.teamMembers).values({ teamId, ...member }).onConflictDoNothing());
    });
  }

  /** Takes the member out of the team, unless that leaves its org without an admin user. */
  removeMember(teamId: number, member: Member): Promise<Removal> {
    return this.q.transaction(
      function* (scope): Program<Removal> {
        const { db, t } = scope;
        const team = yield* one(db.select({ namespaceId: t.teams.namespaceId }).from(t.teams).where(eq(t.teams.id, teamId)));
        if (!team) return { kind: "ok", removed: 0 };
        return yield* removeKeepingAnAdmin(scope, team.namespaceId, member, eq(t.teamMembers.teamId, teamId));
      },
      { immediate: true },
    );
  }

  /** Takes the member out of every team of the org, unless that leaves it without an admin user. */
  removeFromOrg(namespaceId: number, member: Member): Promise<Removal> {
    return this.q.transaction(
      function* (scope) {
        const { db, t } = scope;
        const teamsOfOrg = db.select({ id: t.teams.id }).from(t.teams).where(eq(t.teams.namespaceId, namespaceId));
        return yield* removeKeepingAnAdmin(scope, namespaceId, member, inArray(t.teamMembers.teamId, teamsOfOrg));
      },
      { immediate: true },
    );
  }

  /** How many distinct users sit in admin teams of the org. */
  adminUserCount(namespaceId: number): Promise<number> {
    return this.q.run((scope) => adminUsers(scope, namespaceId));
  }

  /** The roles of the teams of `namespaceId` that the member belongs to. */
  teamRolesOf(namespaceId: number, member: Member): Promise<TeamRole[]> {
    return this.q.run(function* ({ db, t }) {
      const rows = yield* all(
        db
          .select({ role: t.teams.role })
          .from(t.teamMembers)
          .innerJoin(t.teams, eq(t.teams.id, t.teamMembers.teamId))
          .where(and(eq(t.teams.namespaceId, namespaceId), isMember(t, member)))
          .orderBy(asc(t.teams.id)),
      );
      return rows.map((r) => r.role);
    });
  }

  /** Names of the org's teams the member is in. */
  teamsOf(namespaceId: number, member: Member): Promise<string[]> {
    return this.q.run(function* ({ db, t }) {
      const rows = yield* all(
        db
          .select({ name: t.teams.name })
          .from(t.teamMembers)
          .innerJoin(t.teams, eq(t.teams.id, t.teamMembers.teamId))
          .where(and(eq(t.teams.namespaceId, namespaceId), isMember(t, member)))
          .orderBy(asc(t.teams.name)),
      );
      return rows.map((r) => r.name);
    });
  }

  /** Team ids the member belongs to, in any namespace. */
  teamIdsOf(member: Member): Promise<number[]> {
    return this.q.run(function* ({ db, t }) {
      const rows = yield* all(db.select({ id: t.teamMembers.teamId }).from(t.teamMembers).where(isMember(t, member)).orderBy(asc(t.teamMembers.teamId)));
      return rows.map((r) => r.id);
    });
  }

  /** The organizations the member belongs to (any team), with its team roles in each. */
  orgsOf(member: Member): Promise<{ name: string; email: string | null; roles: TeamRole[] }[]> {
    return this.q.run(function* ({ db, t }) {
      const n = t.namespaces;
      const rows = yield* all(
        db
          .select({ name: n.name, email: n.email, role: t.teams.role })
          .from(t.teamMembers)
          .innerJoin(t.teams, eq(t.teams.id, t.teamMembers.teamId))
          .innerJoin(n, eq(n.id, t.teams.namespaceId))
          .where(isMember(t, member))
          .orderBy(asc(n.name), asc(t.teams.id)),
      );
      const byName = new Map<string, { name: string; email: string | null; roles: TeamRole[] }>();
      for (const r of rows) {
        const org = byName.get(r.name) ?? { name: r.name, email: r.email, roles: [] };
        org.roles.push(r.role);
        byName.set(r.name, org);
      }
      return [...byName].map(([, org]) => org).sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /** Members of a team (users, then robots), by name. */
  teamMembers(teamId: number): Promise<TeamMemberRow[]> {
    return this.q.run(function* ({ db, t }) {
      const m = t.teamMembers;
      const people = yield* all(
        db.select({ name: t.users.username, email: t.users.email }).from(m).innerJoin(t.users, eq(t.users.id, m.userId)).where(eq(m.teamId, teamId)).orderBy(asc(t.users.username)),
      );
      const bots = yield* all(
        db.select({ name: t.robots.fullName }).from(m).innerJoin(t.robots, eq(t.robots.id, m.robotId)).where(eq(m.teamId, teamId)).orderBy(asc(t.robots.fullName)),
      );
      return [...people.map((r) => ({ name: r.name, email: r.email, isRobot: false })), ...bots.map((r) => ({ name: r.name, email: null, isRobot: true }))];
    });
  }

  /** The users in any team of the org, each with the names of its teams (robots excluded). */
  userMembers(namespaceId: number): Promise<{ userId: number; name: string; email: string | null; teams: string[] }[]> {
    return this.q.run(function* ({ db, t }) {
      const m = t.teamMembers;
      const rows = yield* all(
        db
          .select({ userId: t.users.id, name: t.users.username, email: t.users.email, team: t.teams.name })
          .from(m)
          .innerJoin(t.teams, eq(t.teams.id, m.teamId))
          .innerJoin(t.users, eq(t.users.id, m.userId))
          .where(and(eq(t.teams.namespaceId, namespaceId), isNotNull(m.userId)))
          .orderBy(asc(t.users.username), asc(t.teams.id)),
      );
      const byId = new Map<number, { userId: number; name: string; email: string | null; teams: string[] }>();
      for (const r of rows) {
        const u = byId.get(r.userId) ?? { userId: r.userId, name: r.name, email: r.email, teams: [] };
        u.teams.push(r.team);
        byId.set(r.userId, u);
      }
      return [...byId].map(([, user]) => user);
    });
  }
}
