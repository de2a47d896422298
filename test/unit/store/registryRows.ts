// Registry rows for the read stores' shared suites (registryReads*.test.ts), written as store
// bodies through the test's runner, so they run on SQLite and PostgreSQL alike. The registry's
// own transactions write these in the server; here each row is put as a read expects to find it.
import { eq } from "drizzle-orm";
import { all, changes, type Runner } from "../../../src/store/dialect/program";
import { sha256 } from "./storeFixtures";

/** A manifest of `repositoryId` (content from `nonce`), naming `blobs`, listing `children`, with a subject when given. */
export function addManifestRow(
  runner: Runner,
  repositoryId: number,
  nonce: string,
  opts: { blobs?: string[]; children?: string[]; subject?: string; artifactType?: string; createdMs?: number } = {},
): Promise<{ id: number; digest: string }> {
  const content = Buffer.from(JSON.stringify({ schemaVersion: 2, nonce }));
  const digest = sha256(content);
  return runner.transaction(function* ({ db, t }) {
    const [row] = yield* all(
      db
        .insert(t.manifests)
        .values({
          repositoryId,
          digest,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          size: content.length,
          content,
          subjectDigest: opts.subject ?? null,
          artifactType: opts.artifactType ?? null,
          ...(opts.createdMs !== undefined ? { createdMs: opts.createdMs } : {}),
        })
        .returning({ id: t.manifests.id }),
    );
    for (const d of opts.blobs ?? []) yield* changes(db.insert(t.manifestBlobs).values({ manifestId: row!.id, digest: d }));
    for (const d of opts.children ?? []) yield* changes(db.insert(t.manifestChildren).values({ manifestId: row!.id, childDigest: d }));
    return { id: row!.id, digest };
  });
}

export interface TagRow {
  name: string;
  manifestId: number;
  startMs: number;
  endMs?: number;
  expiresMs?: number;
  immutable?: boolean;
}

/** One period of a tag. */
export async function addTagRow(runner: Runner, repositoryId: number, tag: TagRow): Promise<void> {
  await runner.run(function* ({ db, t }) {
    yield* changes(
      db.insert(t.tags).values({
        repositoryId,
        name: tag.name,
        manifestId: tag.manifestId,
        startMs: tag.startMs,
        endMs: tag.endMs ?? null,
        expiresMs: tag.expiresMs ?? null,
        immutable: tag.immutable ?? false,
      }),
    );
  });
}

/** A blob row of `size` bytes, linked to `repositoryIds` (created `linkedMs` when given). */
export async function addBlobRow(runner: Runner, digest: string, size: number, repositoryIds: number[] = [], linkedMs?: number): Promise<void> {
  await runner.transaction(function* ({ db, t }) {
    yield* changes(db.insert(t.blobs).values({ digest, size }).onConflictDoNothing());
    for (const repositoryId of repositoryIds) {
      yield* changes(db.insert(t.repositoryBlobs).values({ repositoryId, digest, ...(linkedMs !== undefined ? { createdMs: linkedMs } : {}) }));
    }
  });
}

/** Sets the namespace's time machine window. */
export async function setTimeMachine(runner: Runner, namespace: string, seconds: number): Promise<void> {
  await runner.run(function* ({ db, t }) {
    yield* changes(db.update(t.namespaces).set({ tagExpirationS: seconds }).where(eq(t.namespaces.name, namespace)));
  });
}

/** A digest of its own for each name. */
export const digestOf = (name: string) => sha256(name);
