import { and, asc, eq, gt, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaces, robots, teamMembers, teams, users } from "../schema";
import { startsWith } from "./prefixSearch";
import { sqliteFragments } from "../dialect/fragments";
import { isReservedNamespace } from "../../oci";

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

/** Organizations (namespaces of kind "org"), their teams and team members. */
export class OrgStore {
  constructor(private readonly db: MetaDb) {}

  /**
   * Creates the org with its `owners` team (role admin) holding the owner. A reserved name
   * (`library`) is taken, whether or not its namespace exists yet: see claimReserved.
   */
  create(name: string, ownerUserId: number): { kind: "ok"; namespaceId: number } | { kind: "nameTaken" } {
    if (isReservedNamespace(name)) return { kind: "nameTaken" };
    return this.db.transaction((tx) => {
      if (tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get())
        return { kind: "nameTaken" as const };
      const ns = tx.insert(namespaces).values({ name, kind: "org" }).returning({ id: namespaces.id }).get();
      const team = tx.insert(teams).values({ namespaceId: ns.id, name: "owners", role: "admin" }).returning({ id: teams.id }).get();
      tx.insert(teamMembers).values({ teamId: team.id, userId: ownerUserId }).run();
      return { kind: "ok" as const, namespaceId: ns.id };
    });
  }

  /**
   * Makes a reserved name an organization with an `owners` team (its people: setOwners). Made
   * when missing; converted when an ownerless namespace holds it (open mode's pushes make
   * those); an organization is kept; a user's namespace is reported and left alone.
   */
  claimReserved(name: string): { kind: "created" | "converted" | "org" | "user"; namespaceId: number } {
    return this.db.transaction(
      (tx) => {
        const found = tx.select({ id: namespaces.id, kind: namespaces.kind }).from(namespaces).where(eq(namespaces.name, name)).get();
        const person = found?.kind === "user" && tx.select({ id: users.id }).from(users).where(eq(users.username, name)).get();
        if (found && (found.kind === "org" || person)) return { kind: found.kind, namespaceId: found.id };
        const namespaceId = found
          ? tx.update(namespaces).set({ kind: "org" }).where(eq(namespaces.id, found.id)).returning({ id: namespaces.id }).get()!.id
          : tx.insert(namespaces).values({ name, kind: "org" }).returning({ id: namespaces.id }).get().id;
        tx.insert(teams).values({ namespaceId, name: "owners", role: "admin" }).onConflictDoNothing().run();
        return { kind: found ? ("converted" as const) : ("created" as const), namespaceId };
      },
      { behavior: "immediate" },
    );
  }

  /**
   * Sets the people of the org's `owners` team (made if missing) to exactly `userIds`; robots
   * in it stay. Answers the names added and removed.
   */
  setOwners(namespaceId: number, userIds: number[]): { added: string[]; removed: string[] } {
    return this.db.transaction(
      (tx) => {
        tx.insert(teams).values({ namespaceId, name: "owners", role: "admin" }).onConflictDoNothing().run();
        const team = tx.select({ id: teams.id }).from(teams).where(and(eq(teams.namespaceId, namespaceId), eq(teams.name, "owners"))).get()!;
        // An owners team demoted through the API is an owners team again.
        tx.update(teams).set({ role: "admin" }).where(eq(teams.id, team.id)).run();
        const current = tx
          .select({ id: users.id, name: users.username })
          .from(teamMembers)
          .innerJoin(users, eq(users.id, teamMembers.userId))
          .where(eq(teamMembers.teamId, team.id))
          .all();
        const wanted = new Set(userIds);
        const removed = current.filter((m) => !wanted.has(m.id));
        if (removed.length) {
          tx.delete(teamMembers).where(and(eq(teamMembers.teamId, team.id), inArray(teamMembers.userId, removed.map((m) => m.id)))).run();
        }
        const have = new Set(current.map((m) => m.id));
        const addedIds = userIds.filter((id) => !have.has(id));
        for (const userId of addedIds) tx.insert(teamMembers).values({ teamId: team.id, userId }).onConflictDoNothing().run();
        const added = addedIds.length
          ? tx.select({ name: users.username }).from(users).where(inArray(users.id, addedIds)).all().map((r) => r.name)
          : [];
        return { added, removed: removed.map((m) => m.name) };
      },
      { behavior: "immediate" },
    );
  }

  namespace(name: string): { id: number; kind: "user" | "org" } | undefined {
    return this.db.select({ id: namespaces.id, kind: namespaces.kind }).from(namespaces).where(eq(namespaces.name, name)).get();
  }

  /** Creates or updates a team's role. */
  setTeam(namespaceId: number, name: string, role: TeamRole, description?: string): number {
    return this.db
      .insert(teams)
      .values({ namespaceId, name, role, description })
      .onConflictDoUpdate({ target: [teams.namespaceId, teams.name], set: { role, ...(description !== undefined ? { description } : {}) } })
      .returning({ id: teams.id })
      .get().id;
  }

  team(namespaceId: number, name: string): { id: number; role: TeamRole } | undefined {
    return this.db
      .select({ id: teams.id, role: teams.role })
      .from(teams)
      .where(and(eq(teams.namespaceId, namespaceId), eq(teams.name, name)))
      .get();
  }

  addMember(teamId: number, member: Member): void {
    this.db
      .insert(teamMembers)
      .values({ teamId, ...("userId" in member ? { userId: member.userId } : { robotId: member.robotId }) })
      .onConflictDoNothing()
      .run();
  }

  removeMember(teamId: number, member: Member): void {
    this.db
      .delete(teamMembers)
      .where(
        and(
          eq(teamMembers.teamId, teamId),
          "userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId),
        ),
      )
      .run();
  }

  /** The roles of the teams of `namespaceId` that the member belongs to. */
  teamRolesOf(namespaceId: number, member: Member): TeamRole[] {
    return this.db
      .select({ role: teams.role })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .where(
        and(
          eq(teams.namespaceId, namespaceId),
          "userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId),
        ),
      )
      .all()
      .map((r) => r.role);
  }

  /** The organizations the member belongs to (any team), with its team roles in each. */
  orgsOf(member: Member): { name: string; email: string | null; roles: TeamRole[] }[] {
    const rows = this.db
      .select({ name: namespaces.name, email: namespaces.email, role: teams.role })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .innerJoin(namespaces, eq(namespaces.id, teams.namespaceId))
      .where("userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId))
      .all();
    const byName = new Map<string, { name: string; email: string | null; roles: TeamRole[] }>();
    for (const r of rows) {
      const org = byName.get(r.name) ?? { name: r.name, email: r.email, roles: [] };
      org.roles.push(r.role);
      byName.set(r.name, org);
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Team ids the member belongs to, in any namespace. */
  teamIdsOf(member: Member): number[] {
    return this.db
      .select({ id: teamMembers.teamId })
      .from(teamMembers)
      .where(or("userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId)))
      .all()
      .map((r) => r.id);
  }

  /** The teams of the org in creation order, with their member and repository-grant counts. */
  teams(namespaceId: number): TeamRow[] {
    return this.db
      .select({
        id: teams.id,
        name: teams.name,
        role: teams.role,
        description: teams.description,
        // Spelled out: drizzle renders columns unqualified inside sql``, and "id" would bind to the subquery's table.
        memberCount: sql<number>`(SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = "teams"."id")`,
        repoCount: sql<number>`(SELECT COUNT(*) FROM repository_permissions rp WHERE rp.team_id = "teams"."id")`,
      })
      .from(teams)
      .where(eq(teams.namespaceId, namespaceId))
      .orderBy(asc(teams.id))
      .all();
  }

  /** Members of a team (users, then robots), by name. */
  teamMembers(teamId: number): TeamMemberRow[] {
    const people = this.db
      .select({ name: users.username, email: users.email })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(eq(teamMembers.teamId, teamId))
      .orderBy(asc(users.username))
      .all()
      .map((r) => ({ name: r.name, email: r.email, isRobot: false }));
    const bots = this.db
      .select({ name: robots.fullName })
      .from(teamMembers)
      .innerJoin(robots, eq(robots.id, teamMembers.robotId))
      .where(eq(teamMembers.teamId, teamId))
      .orderBy(asc(robots.fullName))
      .all()
      .map((r) => ({ name: r.name, email: null, isRobot: true }));
    return [...people, ...bots];
  }

  /** The users in any team of the org, each with the names of its teams (robots excluded). */
  userMembers(namespaceId: number): { userId: number; name: string; email: string | null; teams: string[] }[] {
    const rows = this.db
      .select({ userId: users.id, name: users.username, email: users.email, team: teams.name })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(and(eq(teams.namespaceId, namespaceId), isNotNull(teamMembers.userId)))
      .orderBy(asc(users.username), asc(teams.id))
      .all();
    const byId = new Map<number, { userId: number; name: string; email: string | null; teams: string[] }>();
    for (const r of rows) {
      const m = byId.get(r.userId) ?? { userId: r.userId, name: r.name, email: r.email, teams: [] };
      m.teams.push(r.team);
      byId.set(r.userId, m);
    }
    return [...byId.values()];
  }

  /** How many distinct users sit in admin teams of the org. */
  adminUserCount(namespaceId: number): number {
    return (
      this.db
        .select({ n: sql<number>`COUNT(DISTINCT ${teamMembers.userId})` })
        .from(teamMembers)
        .innerJoin(teams, eq(teams.id, teamMembers.teamId))
        .where(and(eq(teams.namespaceId, namespaceId), eq(teams.role, "admin"), isNotNull(teamMembers.userId)))
        .get()?.n ?? 0
    );
  }

  deleteTeam(teamId: number): void {
    this.db.delete(teams).where(eq(teams.id, teamId)).run();
  }

  /** Takes the member out of every team of the org; answers how many memberships ended. */
  removeFromAllTeams(namespaceId: number, member: Member): number {
    const teamIds = this.db
      .select({ id: teams.id })
      .from(teams)
      .where(eq(teams.namespaceId, namespaceId))
      .all()
      .map((r) => r.id);
    if (!teamIds.length) return 0;
    return this.db
      .delete(teamMembers)
      .where(
        and(
          inArray(teamMembers.teamId, teamIds),
          "userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId),
        ),
      )
      .returning({ id: teamMembers.id })
      .all().length;
  }

  /** Names of the org's teams the member is in. */
  teamsOf(namespaceId: number, member: Member): string[] {
    return this.db
      .select({ name: teams.name })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .where(and(eq(teams.namespaceId, namespaceId), "userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId)))
      .orderBy(asc(teams.name))
      .all()
      .map((r) => r.name);
  }


  /** Organizations in id order (the last id of a page is a stable cursor). */
  list(opts: { afterId?: number; limit?: number } = {}): { id: number; name: string; email: string | null }[] {
    const q = this.db
      .select({ id: namespaces.id, name: namespaces.name, email: namespaces.email })
      .from(namespaces)
      .where(and(eq(namespaces.kind, "org"), opts.afterId !== undefined ? gt(namespaces.id, opts.afterId) : undefined))
      .orderBy(asc(namespaces.id));
    return (opts.limit !== undefined ? q.limit(opts.limit) : q).all();
  }

  /** An organization's row (undefined for users' namespaces and unknown names). */
  org(name: string): { id: number; name: string; email: string | null } | undefined {
    return this.db
      .select({ id: namespaces.id, name: namespaces.name, email: namespaces.email })
      .from(namespaces)
      .where(and(eq(namespaces.name, name), eq(namespaces.kind, "org")))
      .get();
  }

  /** Teams of the org whose name starts with `prefix`, by name. */
  matchingTeams(namespaceId: number, prefix: string, limit: number): { name: string }[] {
    return this.db
      .select({ name: teams.name })
      .from(teams)
      .where(and(eq(teams.namespaceId, namespaceId), startsWith(sqliteFragments, teams.name, prefix)))
      .orderBy(asc(teams.name))
      .limit(limit)
      .all();
  }
}
