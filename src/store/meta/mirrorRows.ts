// The shapes of a repository mirror (Quay's RepoMirrorConfig) as the store gives and takes them,
// and the columns it reads them from: mirrors.ts's configuration and queue share them.
import { eq } from "drizzle-orm";
import type { FieldCipher } from "../fieldEncryption";
import type { QueryBuilder, Tables } from "../dialect/program";

/** NEVER_RUN, SYNC_NOW, SYNCING, SUCCESS, FAIL or CANCEL (the table's enum). */
export type MirrorStatus = Tables["repoMirrors"]["syncStatus"]["_"]["data"];

export interface MirrorConfig {
  id: number;
  repositoryId: number;
  repository: string;
  isEnabled: boolean;
  robot: string | null;
  externalReference: string;
  /** Decrypted; "(invalid. please re-enter)" when it cannot be (another key), as Quay shows it. */
  username: string | null;
  hasPassword: boolean;
  verifyTls: boolean;
  unsignedImages: boolean;
  tagGlobs: string[];
  architectureFilter: string[];
  syncIntervalS: number;
  syncStartMs: number | null;
  syncExpirationMs: number | null;
  syncRetriesRemaining: number;
  syncStatus: MirrorStatus;
  syncTransactionId: string;
  timeoutS: number;
  lastError: string | null;
  lastSyncMs: number | null;
}

export interface NewMirror {
  repositoryId: number;
  /** null: none yet (its syncs fail until one is set). */
  robotId: number | null;
  externalReference: string;
  username: string | null;
  password: string | null;
  verifyTls: boolean;
  unsignedImages: boolean;
  tagGlobs: string[];
  syncIntervalS: number;
  syncStartMs: number;
  timeoutS: number;
  isEnabled: boolean;
  /** Quay's architecture_filter (empty: every platform). */
  architectureFilter?: string[];
}

/** What API v1's PUT may change (credentials apart: changeCredentials). */
export type MirrorChange = Partial<Pick<NewMirror, "robotId" | "externalReference" | "verifyTls" | "unsignedImages" | "tagGlobs" | "syncIntervalS" | "syncStartMs" | "timeoutS" | "isEnabled">> & {
  architectureFilter?: string[];
};

const columns = ({ repoMirrors: m, repositories, robots }: Tables) => ({
  id: m.id,
  repositoryId: m.repositoryId,
  repository: repositories.fullName,
  isEnabled: m.isEnabled,
  robot: robots.fullName,
  externalReference: m.externalReference,
  username: m.username,
  password: m.password,
  verifyTls: m.verifyTls,
  unsignedImages: m.unsignedImages,
  tagGlobs: m.tagGlobs,
  architectureFilter: m.architectureFilter,
  syncIntervalS: m.syncIntervalS,
  syncStartMs: m.syncStartMs,
  syncExpirationMs: m.syncExpirationMs,
  syncRetriesRemaining: m.syncRetriesRemaining,
  syncStatus: m.syncStatus,
  syncTransactionId: m.syncTransactionId,
  timeoutS: m.timeoutS,
  lastError: m.lastError,
  lastSyncMs: m.lastSyncMs,
});

type Columns = ReturnType<typeof columns>;
export type MirrorRow = { [K in keyof Columns]: Columns[K]["_"]["data"] | null };

/** A select of mirror rows with their repository's and robot's names (a where clause to add). */
export function selectMirrors(db: QueryBuilder, t: Tables) {
  return db
    .select(columns(t))
    .from(t.repoMirrors)
    .innerJoin(t.repositories, eq(t.repositories.id, t.repoMirrors.repositoryId))
    .leftJoin(t.robots, eq(t.robots.id, t.repoMirrors.robotId));
}

/** The row as the store gives it: the username decrypted, the password only as "there is one", the lists parsed. */
export function mirrorConfig(cipher: FieldCipher, r: MirrorRow): MirrorConfig {
  const username = r.username === null ? null : (cipher.open(r.username) ?? "(invalid. please re-enter)");
  return {
    ...(r as any),
    username,
    hasPassword: r.password !== null,
    tagGlobs: JSON.parse(r.tagGlobs as string),
    architectureFilter: JSON.parse(r.architectureFilter as string),
    password: undefined,
  };
}
