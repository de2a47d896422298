import { and, asc, eq } from "drizzle-orm";
import type { MetaDb } from "../db";
import { namespaces, robots } from "../schema";
import { startsWith } from "./prefixSearch";

export interface RobotRow {
  id: number;
  fullName: string;
  shortName: string;
  namespaceId: number;
  owner: string;
  token: string;
}

export interface RobotDetails {
  id: number;
  fullName: string;
  shortName: string;
  description: string | null;
  token: string;
  createdMs: number;
}

const detailColumns = {
  id: robots.id,
  fullName: robots.fullName,
  shortName: robots.shortName,
  description: robots.description,
  token: robots.token,
  createdMs: robots.createdMs,
};

/** Robot accounts `owner+short`, owned by a user or an organization namespace. */
export class RobotStore {
  constructor(private readonly db: MetaDb) {}

  create(owner: string, shortName: string, token: string, description?: string): RobotRow | undefined {
    const ns = this.db.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, owner)).get();
    if (!ns) return undefined;
    const fullName = `${owner}+${shortName}`;
    const inserted = this.db
      .insert(robots)
      .values({ namespaceId: ns.id, shortName, fullName, token, description })
      .onConflictDoNothing()
      .returning({ id: robots.id })
      .get();
    if (!inserted) return undefined;
    return this.byName(fullName);
  }

  byName(fullName: string): RobotRow | undefined {
    return this.db
      .select({
        id: robots.id,
        fullName: robots.fullName,
        shortName: robots.shortName,
        namespaceId: robots.namespaceId,
        owner: namespaces.name,
        token: robots.token,
      })
      .from(robots)
      .innerJoin(namespaces, eq(namespaces.id, robots.namespaceId))
      .where(eq(robots.fullName, fullName))
      .get();
  }

  setToken(id: number, token: string): void {
    this.db.update(robots).set({ token }).where(eq(robots.id, id)).run();
  }

  delete(id: number): void {
    this.db.delete(robots).where(eq(robots.id, id)).run();
  }

  /** The robots of a namespace, by short name. */
  listOf(namespaceId: number): RobotDetails[] {
    return this.db.select(detailColumns).from(robots).where(eq(robots.namespaceId, namespaceId)).orderBy(asc(robots.shortName)).all();
  }

  details(fullName: string): RobotDetails | undefined {
    return this.db.select(detailColumns).from(robots).where(eq(robots.fullName, fullName)).get();
  }

  /** Robots of the namespace whose short name starts with `prefix`, by full name. */
  matching(namespaceId: number, prefix: string, limit: number): { fullName: string }[] {
    return this.db
      .select({ fullName: robots.fullName })
      .from(robots)
      .where(and(eq(robots.namespaceId, namespaceId), startsWith(robots.shortName, prefix)))
      .orderBy(asc(robots.fullName))
      .limit(limit)
      .all();
  }
}
