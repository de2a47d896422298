// The stores over PostgreSQL (`--database postgres://…`, docs/POSTGRES.md): the same stores as
// SQLite's over pgRunner, with the state several nodes share (src/store/pg/nodeState) in place
// of one process's memory. The keys stay files in the data directory, never in the database.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { withoutDatabasePassword, redactedDatabaseUrl } from "../config";
import type { StoreOptions, Stores } from ".";
import { assembleStores } from "./assembleStores";
import { FsBlobStore } from "./blobs/fsBlobStore";
import { restrictDataDir } from "./dataDirModes";
import { UserStore } from "./meta/users";
import { pgRunner } from "./dialect/pgRunner";
import { DATABASE_SECRET_FILE, loadDatabaseSecret } from "./fieldEncryption";
import { InProcessAuditWriter } from "./auditWriter";
import { InProcessUploadHashStates } from "./uploadState";
import { openPostgres, type PgMetaDb } from "./pg/open";
import { PgUploadLocks } from "./pg/nodeState/uploadLocks";
import { PgReadCache } from "./pg/nodeState/readCache";
import { PgLoginCounters } from "./pg/nodeState/loginCounters";
import { PgRateLimiter } from "./pg/nodeState/rateLimiter";
import { PgDeliveryClaims } from "./pg/nodeState/deliveryClaims";
import { PgLifecycleLease } from "./pg/nodeState/lifecycleLease";

/** The store side of the state every node shares; auth, notify and registry put their rules over it (createContext). */
export interface SharedNodeState {
  loginCounters: PgLoginCounters;
  rateLimiter: PgRateLimiter;
  deliveryClaims: PgDeliveryClaims;
  lifecycleLease: PgLifecycleLease;
}

export interface PgStores extends Stores {
  dialect: "pg";
  shared: SharedNodeState;
}

/** Connections per node: requests' queries, plus one each for upload locks, the lifecycle lease and LISTEN. */
const POOL_SIZE = 20;

/** Why the database could not be opened, without its password; the message a start or chore prints. */
export class DatabaseOpenError extends Error {}

/** Connects, migrates, refuses a node without the registry's keys, and opens the stores. */
export async function openPgStores(url: string, opts: StoreOptions & { onError?: (e: unknown) => void }): Promise<PgStores> {
  const warnings = restrictDataDir(opts.dataDir);
  let db: PgMetaDb;
  try {
    db = await openPostgres(url, { max: POOL_SIZE });
  } catch (e: any) {
    throw new DatabaseOpenError(`cannot open the PostgreSQL database ${redactedDatabaseUrl(url)}: ${withoutDatabasePassword(String(e?.message ?? e), url)}`);
  }
  const closing: (() => Promise<void>)[] = [];
  try {
    const runner = pgRunner(db);
    const keysDir = join(opts.dataDir, "keys");
    if (!existsSync(join(keysDir, DATABASE_SECRET_FILE)) && (await new UserStore(runner).any())) {
      // A node that made its own keys would read no robot token and sign tokens the others refuse.
      throw new DatabaseOpenError(
        `the PostgreSQL database ${redactedDatabaseUrl(url)} holds a registry, but ${keysDir} has no ${DATABASE_SECRET_FILE}: ` +
          "copy keys/ from a data directory of this registry (another node's, or the one berth migrate wrote) before starting",
      );
    }
    const databaseSecret = loadDatabaseSecret(keysDir);
    const given = opts.nodeState ?? {};
    const readCache = given.readCache ?? (await PgReadCache.open(db.$client, { onError: opts.onError }));
    if (!given.readCache) closing.push(() => (readCache as PgReadCache).close());
    const uploadLocks = given.uploadLocks ?? new PgUploadLocks(db.$client);
    if (!given.uploadLocks) closing.push(() => (uploadLocks as PgUploadLocks).close());
    const shared: SharedNodeState = {
      loginCounters: new PgLoginCounters(db.$client),
      rateLimiter: new PgRateLimiter(db.$client),
      deliveryClaims: new PgDeliveryClaims(db.$client),
      lifecycleLease: new PgLifecycleLease(db.$client),
    };
    // Released by the scheduler when it stops; a chore never takes it, and a second release is nothing.
    closing.push(() => shared.lifecycleLease.release());
    const stores = assembleStores(runner, {
      state: {
        uploadLocks,
        uploadHashes: given.uploadHashes ?? new InProcessUploadHashStates(),
        readCache,
        auditWriter: given.auditWriter ?? ((sink) => new InProcessAuditWriter(sink)),
      },
      databaseSecret,
      blobs: opts.blobs ?? new FsBlobStore(opts.dataDir),
      // Foreign keys are enforced as rows are written; there is no page structure of Berth's to check.
      databaseChecks: async () => [],
      warnings,
      opts,
      closeDatabase: () => closeAll(closing, db),
    });
    return { ...stores, dialect: "pg", shared };
  } catch (e) {
    await closeAll(closing, db);
    throw e;
  }
}

async function closeAll(closing: (() => Promise<void>)[], db: PgMetaDb): Promise<void> {
  for (const close of closing.splice(0)) await close().catch(() => {});
  await db.$client.close();
}

