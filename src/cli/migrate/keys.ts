// The data directory's secrets travel with its metadata (docs/POSTGRES.md, "Keys of a PostgreSQL
// deployment"): keys/ (the database secret robot tokens and mirror credentials are encrypted
// with, token signing keys, cookie secrets) and tls/ (--tls auto's CA). They stay files in a data
// directory and never go into the database they protect: a leaked dump must not carry the key
// that opens its secrets. A PostgreSQL deployment's nodes each have a data directory (keys,
// config) holding the same files.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { replaceWithCopy } from "../../store/backupFiles";
import { FieldCipher, loadDatabaseSecret } from "../../store/fieldEncryption";
import { CliError } from "../accounts";
import { sameDirectory, SECRET_DIRS } from "../backup";

const DATABASE_SECRET = join("keys", "database-secret.key");

export interface KeyMove {
  from: string;
  to: string;
}

/**
 * Where the keys go: from the SQLite data directory to the PostgreSQL deployment's data
 * directory (nothing to do when it is the same one), or from that directory into the new SQLite
 * data directory. Refused before anything is copied when they cannot travel.
 */
export function planKeys(from: string, to: string): KeyMove | undefined {
  if (!existsSync(join(from, DATABASE_SECRET))) {
    throw new CliError(`${from} holds no ${DATABASE_SECRET}: encrypted fields (robot tokens, mirror credentials) could not be read after the move; name the data directory holding this registry's keys with --data`, 2);
  }
  if (existsSync(to) && sameDirectory(from, to)) return undefined;
  for (const name of SECRET_DIRS) {
    const there = join(to, name);
    if (existsSync(there) && !sameTree(join(from, name), there)) {
      throw new CliError(`${there} holds other keys than ${join(from, name)}: never overwritten; move it away or name another directory`, 1);
    }
  }
  return { from, to };
}

/** Copies keys/ and tls/; answers how many files. */
export function moveKeys(move: KeyMove | undefined): number {
  if (!move) return 0;
  let files = 0;
  for (const name of SECRET_DIRS) if (existsSync(join(move.from, name))) files += replaceWithCopy(join(move.from, name), join(move.to, name));
  return files;
}

/** Whether two directories hold the same files with the same bytes. */
function sameTree(a: string, b: string): boolean {
  if (!existsSync(a)) return false;
  const names = readdirSync(a).sort();
  if (JSON.stringify(names) !== JSON.stringify(readdirSync(b).sort())) return false;
  return names.every((name) => {
    const [pa, pb] = [join(a, name), join(b, name)];
    if (statSync(pa).isDirectory()) return statSync(pb).isDirectory() && sameTree(pa, pb);
    return statSync(pb).isFile() && readFileSync(pa).equals(readFileSync(pb));
  });
}

/**
 * Refuses keys that do not open the registry's encrypted robot tokens (`sealed`: one of them, if
 * any): another registry's keys would make a copy whose robots and mirrors no longer work.
 */
export function refuseForeignKeys(from: string, sealed: string | undefined): void {
  if (sealed === undefined || !FieldCipher.isSealed(sealed)) return;
  const cipher = new FieldCipher(loadDatabaseSecret(join(from, "keys")), "robot token");
  if (cipher.open(sealed) === undefined) {
    throw new CliError(`the keys in ${join(from, "keys")} do not open this registry's robot tokens: they belong to another registry; name the data directory holding this one's keys with --data`, 1);
  }
}
