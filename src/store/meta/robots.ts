import { and, asc, eq } from "drizzle-orm";
import { all, changes, one, oneLocked, type Runner, type Tables } from "../dialect/program";
import type { FieldCipher } from "../fieldEncryption";
import { startsWith } from "./prefixSearch";

export interface RobotRow {
  id: number;
  fullName: string;
  shortName: string;
  namespaceId: number;
  owner: string;
  /** HMAC of the token (never the token): logins compare it with tokenDigest(secret). */
  tokenDigest: string | null;
}

export interface RobotDetails {
  id: number;
  fullName: string;
  shortName: string;
  description: string | null;
  /** Decrypted for its owners, as Quay shows it; "" if it cannot be decrypted (another key). */
  token: string;
  createdMs: number;
}

const detailColumns = ({ robots }: Tables) => ({
  id: robots.id,
  fullName: robots.fullName,
  shortName: robots.shortName,
  description: robots.description,
  token: robots.token,
  createdMs: robots.createdMs,
});

/** A token as a robot row keeps it: encrypted, with the digest logins compare. */
export function sealedToken(cipher: FieldCipher, token: string): { token: string; tokenDigest: string } {
  return { token: cipher.seal(token), tokenDigest: cipher.digest(token) };
}

/**
 * Robot accounts `owner+short`, owned by a user or an organization namespace. Tokens are kept
 * encrypted with a digest beside them (see fieldEncryption.ts); methods take and give plaintext.
 */
export class RobotStore {
  constructor(
    private readonly q: Runner,
    private readonly cipher: FieldCipher,
  ) {}

  /** Undefined when the owner does not exist or has a robot of that name. */
  async create(owner: string, shortName: string, token: string, description?: string): Promise<RobotRow | undefined> {
    const fullName = `${owner}+${shortName}`;
    const sealed = sealedToken(this.cipher, token);
    const made = await this.q.transaction(function* ({ db, t }) {
      // The owner's row, locked: it cannot be deleted before the robot is in.
      const ns = yield* oneLocked(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, owner)));
      if (!ns) return false;
      // Of two creates at once, the second waits for the first and inserts nothing.
      const inserted = yield* changes(db.insert(t.robots).values({ namespaceId: ns.id, shortName, fullName, description, ...sealed }).onConflictDoNothing());
      return inserted > 0;
    });
    return made ? this.byName(fullName) : undefined;
  }

  byName(fullName: string): Promise<RobotRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(
        db
          .select({
            id: t.robots.id,
            fullName: t.robots.fullName,
            shortName: t.robots.shortName,
            namespaceId: t.robots.namespaceId,
            owner: t.namespaces.name,
            tokenDigest: t.robots.tokenDigest,
          })
          .from(t.robots)
          .innerJoin(t.namespaces, eq(t.namespaces.id, t.robots.namespaceId))
          .where(eq(t.robots.fullName, fullName)),
      );
    });
  }

  /** The digest a presented token must match (RobotRow.tokenDigest). */
  tokenDigest(token: string): string {
    return this.cipher.digest(token);
  }

  async setToken(id: number, token: string): Promise<void> {
    const sealed = sealedToken(this.cipher, token);
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.robots).set(sealed).where(eq(t.robots.id, id)));
    });
  }

  async delete(id: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.robots).where(eq(t.robots.id, id)));
    });
  }

  /** The robots of a namespace, by short name. */
  async listOf(namespaceId: number): Promise<RobotDetails[]> {
    const rows = await this.q.run(function* ({ db, t }) {
      return yield* all(db.select(detailColumns(t)).from(t.robots).where(eq(t.robots.namespaceId, namespaceId)).orderBy(asc(t.robots.shortName)));
    });
    return rows.map(this.opened);
  }

  async details(fullName: string): Promise<RobotDetails | undefined> {
    const row = await this.q.run(function* ({ db, t }) {
      return yield* one(db.select(detailColumns(t)).from(t.robots).where(eq(t.robots.fullName, fullName)));
    });
    return row && this.opened(row);
  }

  /** Robots of the namespace whose short name starts with `prefix`, by full name. */
  matching(namespaceId: number, prefix: string, limit: number): Promise<{ fullName: string }[]> {
    return this.q.run(function* ({ db, t, sql }) {
      return yield* all(
        db
          .select({ fullName: t.robots.fullName })
          .from(t.robots)
          .where(and(eq(t.robots.namespaceId, namespaceId), startsWith(sql, t.robots.shortName, prefix)))
          .orderBy(asc(t.robots.fullName))
          .limit(limit),
      );
    });
  }

  private readonly opened = (row: RobotDetails): RobotDetails => ({ ...row, token: this.cipher.open(row.token) ?? "" });
}
