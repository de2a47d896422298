import { and, eq, or } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaces, teamMembers, teams } from "../schema";

export type TeamRole = "member" | "creator" | "admin";
export type Member = { userId: number } | { robotId: number };

/** Organizations (namespaces of kind "org"), their teams and team members. */
export class OrgStore {
  constructor(private readonly db: MetaDb) {}

  /** Creates the org with its `owners` team (role admin) holding the owner. */
  create(name: string, ownerUserId: number): { kind: "ok"; namespaceId: number } | { kind: "nameTaken" } {
    return this.db.transaction((tx) => {
      if (tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, name)).get())
        return { kind: "nameTaken" as const };
      const ns = tx.insert(namespaces).values({ name, kind: "org" }).returning({ id: namespaces.id }).get();
      const team = tx
        .insert(teams)
        .values({ namespaceId: ns.id, name: "owners", role: "admin" })
        .returning({ id: teams.id })
        .get();
      tx.insert(teamMembers).values({ teamId: team.id, userId: ownerUserId }).run();
      return { kind: "ok" as const, namespaceId: ns.id };
    });
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
  orgsOf(member: Member): { name: string; roles: TeamRole[] }[] {
    const rows = this.db
      .select({ name: namespaces.name, role: teams.role })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .innerJoin(namespaces, eq(namespaces.id, teams.namespaceId))
      .where("userId" in member ? eq(teamMembers.userId, member.userId) : eq(teamMembers.robotId, member.robotId))
      .all();
    const byName = new Map<string, TeamRole[]>();
    for (const r of rows) byName.set(r.name, [...(byName.get(r.name) ?? []), r.role]);
    return [...byName].map(([name, roles]) => ({ name, roles })).sort((a, b) => a.name.localeCompare(b.name));
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
}
