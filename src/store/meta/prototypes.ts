import { and, asc, eq, isNull, or, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { all, changes, one, type Program, type Runner, type Scope, type Tables } from "../dialect/program";
import { setRepoPermission, type GrantRole } from "./permissions";
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

/** The prototypes' rows with the names of whom they involve (users and robots twice: activating and delegate). */
function selectViews({ db, t }: Scope, where: SQL | undefined) {
  const p = t.permissionPrototypes;
  const activatingUser = alias(t.users, "activating_user");
  const activatingRobot = alias(t.robots, "activating_robot");
  const delegateUser = alias(t.users, "delegate_user");
  const delegateRobot = alias(t.robots, "delegate_robot");
  return db
    .select({
      p,
      activatingUser: activatingUser.username,
      activatingRobot: activatingRobot.fullName,
      delegateUser: delegateUser.username,
      delegateRobot: delegateRobot.fullName,
      delegateTeam: t.teams.name,
    })
    .from(p)
    .leftJoin(activatingUser, eq(activatingUser.id, p.activatingUserId))
    .leftJoin(activatingRobot, eq(activatingRobot.id, p.activatingRobotId))
    .leftJoin(delegateUser, eq(delegateUser.id, p.delegateUserId))
    .leftJoin(delegateRobot, eq(delegateRobot.id, p.delegateRobotId))
    .leftJoin(t.teams, eq(t.teams.id, p.delegateTeamId))
    .where(where)
    .orderBy(asc(p.id));
}

type ViewRow = ReturnType<typeof selectViews> extends { all(): (infer R)[] } ? R : never;

function view(r: ViewRow): PrototypeView {
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
}

function* oneView(scope: Scope, namespaceId: number, uuid: string): Program<PrototypeView | undefined> {
  const p = scope.t.permissionPrototypes;
  const row = yield* one(selectViews(scope, and(eq(p.namespaceId, namespaceId), eq(p.uuid, uuid))));
  return row && view(row);
}

/**
 * Grants on a repository just created in the namespace by `creator` what the prototypes naming
 * the creator, or nobody, say (prototypeChoice has the precedence). Answers how many grants were
 * made. The creator's own admin grant is the caller's. A step of the registry's repository
 * creation, inside its transaction.
 */
export function* applyPrototypesOnCreate(scope: Scope, namespaceId: number, repositoryId: number, creator: PrototypeCreator): Program<number> {
  const { db, t } = scope;
  const p = t.permissionPrototypes;
  const activatedBy = "userId" in creator ? eq(p.activatingUserId, creator.userId) : eq(p.activatingRobotId, creator.robotId);
  const forAnybody = and(isNull(p.activatingUserId), isNull(p.activatingRobotId));
  const rows = yield* all(db.select().from(p).where(and(eq(p.namespaceId, namespaceId), or(activatedBy, forAnybody))).orderBy(asc(p.id)));
  const grants = chooseDefaultGrants(
    rows.map((r) => ({ forCreator: r.activatingUserId !== null || r.activatingRobotId !== null, delegate: delegateOf(r), role: r.role })),
    creator,
  );
  for (const g of grants) yield* setRepoPermission(scope, repositoryId, g.delegate, g.role);
  return grants.length;
}

/**
 * An organization's default permissions (Quay's prototypes, reference §2.10). Callers resolve
 * names to ids within the organization first (teams through TeamStore.team, robots of the org).
 */
export class PrototypeStore {
  constructor(private readonly q: Runner) {}

  /** The organization's prototypes, oldest first, with the names of whom they involve. */
  list(namespaceId: number): Promise<PrototypeView[]> {
    return this.q.run(function* (scope) {
      return (yield* all(selectViews(scope, eq(scope.t.permissionPrototypes.namespaceId, namespaceId)))).map(view);
    });
  }

  get(namespaceId: number, uuid: string): Promise<PrototypeView | undefined> {
    return this.q.run((scope) => oneView(scope, namespaceId, uuid));
  }

  create(p: NewPrototype): Promise<PrototypeView> {
    const uuid = crypto.randomUUID();
    const a = p.activating;
    const d = p.delegate;
    return this.q.transaction(function* (scope) {
      yield* changes(
        scope.db.insert(scope.t.permissionPrototypes).values({
          uuid,
          namespaceId: p.namespaceId,
          activatingUserId: a && "userId" in a ? a.userId : null,
          activatingRobotId: a && "robotId" in a ? a.robotId : null,
          delegateUserId: "userId" in d ? d.userId : null,
          delegateRobotId: "robotId" in d ? d.robotId : null,
          delegateTeamId: "teamId" in d ? d.teamId : null,
          role: p.role,
        }),
      );
      return (yield* oneView(scope, p.namespaceId, uuid))!;
    });
  }

  /** The updated prototype, or undefined when the organization has no such prototype. */
  updateRole(namespaceId: number, uuid: string, role: GrantRole): Promise<PrototypeView | undefined> {
    return this.q.transaction(function* (scope) {
      const p = scope.t.permissionPrototypes;
      const changed = yield* changes(scope.db.update(p).set({ role }).where(and(eq(p.namespaceId, namespaceId), eq(p.uuid, uuid))));
      return changed ? yield* oneView(scope, namespaceId, uuid) : undefined;
    });
  }

  delete(namespaceId: number, uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const p = t.permissionPrototypes;
      return (yield* changes(db.delete(p).where(and(eq(p.namespaceId, namespaceId), eq(p.uuid, uuid))))) > 0;
    });
  }
}

function delegateOf(r: Tables["permissionPrototypes"]["$inferSelect"]): PrototypeDelegate {
  if (r.delegateUserId !== null) return { userId: r.delegateUserId };
  if (r.delegateRobotId !== null) return { robotId: r.delegateRobotId };
  return { teamId: r.delegateTeamId! };
}
