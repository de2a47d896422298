// A one-time upgrade of SQLite data: robot tokens a Berth before encryption wrote in plaintext.
// SQLite-only and synchronous (openStores runs it before serving); PostgreSQL gets its rows
// through `berth migrate`, sealed by then.
import { eq, isNull } from "drizzle-orm";
import type { MetaDb } from "./db";
import { FieldCipher } from "./fieldEncryption";
import { robots } from "./schema";
import { sealedToken } from "./meta/robots";

/**
 * Encrypts the rows with no digest yet; answers how many. The caller scrubs the old plaintext
 * from the file afterwards (scrubFreedContent).
 */
export function sealPlaintextRobotTokens(db: MetaDb, cipher: FieldCipher): number {
  return db.transaction((tx) => {
    const rows = tx.select({ id: robots.id, token: robots.token }).from(robots).where(isNull(robots.tokenDigest)).all();
    let sealed = 0;
    for (const row of rows) {
      // Sealed without a digest cannot happen (both are written together); if the key was
      // replaced the token is lost either way: the row stays as it is and cannot log in.
      const plain = FieldCipher.isSealed(row.token) ? cipher.open(row.token) : row.token;
      if (plain === undefined) continue;
      tx.update(robots).set(sealedToken(cipher, plain)).where(eq(robots.id, row.id)).run();
      sealed++;
    }
    return sealed;
  });
}
