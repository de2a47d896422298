import { and, asc, eq, isNull, or } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { MetaDb } from "../db";
import { permissionPrototypes, repositoryPermissions, robots, teams, users } from "../schema";
import type { GrantRole } from "./permissions";
import { chooseDefaultGrants, type PrototypeCreator, type PrototypeDelegate } from "./prototypeChoice";

export type { PrototypeCreator, PrototypeDelegate };

export interface PrototypeView {
  uuid: string;
  role: GrantRole;
  /** Whose repository creations activate it; null for anybody's. */
  activating: { kind: "user" | "robot"; id: number; name: string } | null;
  delegate: { kind: "user" | "robot" | "team"; id: number; name: string };
}

export interface NewPrototype {
  namespaceId: number;
  /** Omitted: applies whoever creates the repository. */
  activating?: PrototypeCreator;
  delegate: PrototypeDelegate;
  role: GrantRole;
}

const activatingUser = alias(users, "activating_user");
const activatingRobot = alias(robots, "activating_robot");
const delegateUser = alias(users, "delegate_user");
const delegateRobot = alias(robots, "delegate_robot");

/**
 * An organization's default permissions (Quay's prototypes, reference §2.10). Callers resolve
 * names to ids within the organization first (teams through OrgStore.team, robots of the org).
 */
export class PrototypeStore {
  constructor(private readonly db: MetaDb) {}

  /** The organization's prototypes, oldest first, with the names of whom they involve. */
  async list(namespaceId: number): Promise<PrototypeView[]> {
    return this.select(eq(permissionPrototypes.namespaceId, namespaceId));
  }

  async get(namespaceId: number, uuid: string): Promise<PrototypeView | undefined> {
    return this.select(and(eq(permissionPrototypes.namespaceId, namespaceId), eq(permissionPrototypes.uuid, uuid)))[0];
  }

  async create(p: NewPrototype): Promise<PrototypeView> {
    const uuid = crypto.randomUUID();
    const a = p.activating;
    const d = p.delegate;
    this.db
      .insert(permissionPrototypes)
      .values({
        uuid,
        namespaceId: p.namespaceId,
        activatingUserId: a && "userId" in a ? a.userId : null,
        activatingRobotId: a && "robotId" in a ? a.robotId : null,
        delegateUserId: "userId" in d ? d.userId : null,
        delegateRobotId: "robotId" in d ? d.robotId : null,
        delegateTeamId: "teamId" in d ? d.teamId : null,
        role: p.role,
      })
      .run();
    return (await this.get(p.namespaceId, uuid))!;
  }

  /** The updated prototype, or undefined when the organization has no such prototype. */
  async updateRole(namespaceId: number, uuid: string, role: GrantRole): Promise<PrototypeView | undefined> {
    const changed = this.db
      .update(permissionPrototypes)
      .set({ role })
      .where(and(eq(permissionPrototypes.namespaceId, namespaceId), eq(permissionPrototypes.uuid, uuid)))
      .returning({ id: permissionPrototypes.id })
      .all();
    return changed.length ? await this.get(namespaceId, uuid) : undefined;
  }

  async delete(namespaceId: number, uuid: string): Promise<boolean> {
    return (
      this.db
        .delete(permissionPrototypes)
        .where(and(eq(permissionPrototypes.namespaceId, namespaceId), eq(permissionPrototypes.uuid, uuid)))
        .returning({ id: permissionPrototypes.id })
        .all().length > 0
    );
  }

  /**
   * Grants on a repository just created in the namespace by `creator` what the prototypes
   * naming the creator, or nobody, say (prototypeChoice has the precedence). Answers how many
   * grants were made. The creator's own admin grant is the caller's. Only inside a registry
   * transaction (RegistryTx's createRepository), so synchronous.
   */
  applyOnCreateInTx(namespaceId: number, repositoryId: number, creator: PrototypeCreator): number {
    return this.db.transaction((tx) => {
      const activatedBy =
        "userId" in creator
          ? eq(permissionPrototypes.activatingUserId, creator.userId)
          : eq(permissionPrototypes.activatingRobotId, creator.robotId);
      const forAnybody = and(isNull(permissionPrototypes.activatingUserId), isNull(permissionPrototypes.activatingRobotId));
      const rows = tx
        .select()
        .from(permissionPrototypes)
        .where(and(eq(permissionPrototypes.namespaceId, namespaceId), or(activatedBy, forAnybody)))
        .orderBy(asc(permissionPrototypes.id))
        .all();
      const grants = chooseDefaultGrants(
        rows.map((r) => ({
          forCreator: r.activatingUserId !== null || r.activatingRobotId !== null,
          delegate: delegateOf(r),
          role: r.role,
        })),
        creator,
      );
      for (const g of grants) {
        const d = g.delegate;
        const same =
          "userId" in d
            ? eq(repositoryPermissions.userId, d.userId)
            : "robotId" in d
              ? eq(repositoryPermissions.robotId, d.robotId)
              : eq(repositoryPermissions.teamId, d.teamId);
        tx.delete(repositoryPermissions).where(and(eq(repositoryPermissions.repositoryId, repositoryId), same)).run();
        tx.insert(repositoryPermissions).values({ repositoryId, role: g.role, ...d }).run();
      }
      return grants.length;
    });
  }

  private select(where: ReturnType<typeof and>): PrototypeView[] {
    const rows = this.db
      .select({
        p: permissionPrototypes,
        activatingUser: activatingUser.username,
        activatingRobot: activatingRobot.fullName,
        delegateUser: delegateUser.username,
        delegateRobot: delegateRobot.fullName,
        delegateTeam: teams.name,
      })
      .from(permissionPrototypes)
      .leftJoin(activatingUser, eq(activatingUser.id, permissionPrototypes.activatingUserId))
      .leftJoin(activatingRobot, eq(activatingRobot.id, permissionPrototypes.activatingRobotId))
      .leftJoin(delegateUser, eq(delegateUser.id, permissionPrototypes.delegateUserId))
      .leftJoin(delegateRobot, eq(delegateRobot.id, permissionPrototypes.delegateRobotId))
      .leftJoin(teams, eq(teams.id, permissionPrototypes.delegateTeamId))
      .where(where)
      .orderBy(asc(permissionPrototypes.id))
      .all();
    return rows.map((r) => {
      const p = r.p;
      const activating =
        p.activatingUserId !== null
          ? { kind: "user" as const, id: p.activatingUserId, name: r.activatingUser ?? "" }
          : p.activatingRobotId !== null
            ? { kind: "robot" as const, id: p.activatingRobotId, name: r.activatingRobot ?? "" }
            : null;
      const delegate =
        p.delegateUserId !== null
          ? { kind: "user" as const, id: p.delegateUserId, name: r.delegateUser ?? "" }
          : p.delegateRobotId !== null
            ? { kind: "robot" as const, id: p.delegateRobotId, name: r.delegateRobot ?? "" }
            : { kind: "team" as const, id: p.delegateTeamId ?? 0, name: r.delegateTeam ?? "" };
      return { uuid: p.uuid, role: p.role, activating, delegate };
    });
  }
}

function delegateOf(r: typeof permissionPrototypes.$inferSelect): PrototypeDelegate {
  if (r.delegateUserId !== null) return { userId: r.delegateUserId };
  if (r.delegateRobotId !== null) return { robotId: r.delegateRobotId };
  return { teamId: r.delegateTeamId! };
}
