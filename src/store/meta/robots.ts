import { and, asc, eq, isNull } from "drizzle-orm";
import type { MetaDb } from "../db";
import { FieldCipher } from "../fieldEncryption";
import { namespaces, robots } from "../schema";
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

const detailColumns = {
  id: robots.id,
  fullName: robots.fullName,
  shortName: robots.shortName,
  description: robots.description,
  token: robots.token,
  createdMs: robots.createdMs,
};

/**
 * Robot accounts `owner+short`, owned by a user or an organization namespace. Tokens are kept
 * encrypted with a digest beside them (see fieldEncryption.ts); methods take and give plaintext.
 */
export class RobotStore {
  constructor(
    private readonly db: MetaDb,
    private readonly cipher: FieldCipher,
  ) {}

  async create(owner: string, shortName: string, token: string, description?: string): Promise<RobotRow | undefined> {
    const ns = this.db.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, owner)).get();
    if (!ns) return undefined;
    const fullName = `${owner}+${shortName}`;
    const inserted = this.db
      .insert(robots)
      .values({ namespaceId: ns.id, shortName, fullName, description, ...this.sealed(token) })
      .onConflictDoNothing()
      .returning({ id: robots.id })
      .get();
    if (!inserted) return undefined;
    return this.byName(fullName);
  }

  async byName(fullName: string): Promise<RobotRow | undefined> {
    return this.db
      .select({
        id: robots.id,
        fullName: robots.fullName,
        shortName: robots.shortName,
        namespaceId: robots.namespaceId,
        owner: namespaces.name,
        tokenDigest: robots.tokenDigest,
      })
      .from(robots)
      .innerJoin(namespaces, eq(namespaces.id, robots.namespaceId))
      .where(eq(robots.fullName, fullName))
      .get();
  }

  /** The digest a presented token must match (RobotRow.tokenDigest). */
  tokenDigest(token: string): string {
    return this.cipher.digest(token);
  }

  async setToken(id: number, token: string): Promise<void> {
    this.db.update(robots).set(this.sealed(token)).where(eq(robots.id, id)).run();
  }

  async delete(id: number): Promise<void> {
    this.db.delete(robots).where(eq(robots.id, id)).run();
  }

  /** The robots of a namespace, by short name. */
  async listOf(namespaceId: number): Promise<RobotDetails[]> {
    return this.db.select(detailColumns).from(robots).where(eq(robots.namespaceId, namespaceId)).orderBy(asc(robots.shortName)).all().map(this.opened);
  }

  async details(fullName: string): Promise<RobotDetails | undefined> {
    const row = this.db.select(detailColumns).from(robots).where(eq(robots.fullName, fullName)).get();
    return row && this.opened(row);
  }

  /** Robots of the namespace whose short name starts with `prefix`, by full name. */
  async matching(namespaceId: number, prefix: string, limit: number): Promise<{ fullName: string }[]> {
    return this.db
      .select({ fullName: robots.fullName })
      .from(robots)
      .where(and(eq(robots.namespaceId, namespaceId), startsWith(robots.shortName, prefix)))
      .orderBy(asc(robots.fullName))
      .limit(limit)
      .all();
  }

  /**
   * Encrypts the rows a Berth before encryption wrote in plaintext (no digest yet); answers how
   * many. The caller scrubs the old plaintext from the file afterwards (MetaDb's scrub).
   */
  sealPlaintextTokens(): number {
    return this.db.transaction((tx) => {
      const rows = tx.select({ id: robots.id, token: robots.token }).from(robots).where(isNull(robots.tokenDigest)).all();
      let sealed = 0;
      for (const row of rows) {
        // Sealed without a digest cannot happen (both are written together); if the key was
        // replaced the token is lost either way: the row stays as it is and cannot log in.
        const plain = FieldCipher.isSealed(row.token) ? this.cipher.open(row.token) : row.token;
        if (plain === undefined) continue;
        tx.update(robots).set(this.sealed(plain)).where(eq(robots.id, row.id)).run();
        sealed++;
      }
      return sealed;
    });
  }

  private sealed(token: string): { token: string; tokenDigest: string } {
    return { token: this.cipher.seal(token), tokenDigest: this.cipher.digest(token) };
  }

  private readonly opened = (row: RobotDetails): RobotDetails => ({ ...row, token: this.cipher.open(row.token) ?? "" });
}
