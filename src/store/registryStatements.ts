// The statements every manifest push and tag change runs, built once per runner. Built through
// drizzle each time, they cost more than they do: a many-tags push profile spent ~17 % of the
// server's CPU in SQLite's prepare and as much again in drizzle's query building
// (docs/BENCHMARKS.md, "Manifest pushes after the registry core"). SQLite prepares them on the
// connection the transactions run on, so they take part in whichever transaction is open;
// PostgreSQL builds them again on the transaction's connection (src/store/dialect/pgRunner.ts).
import { and, eq, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { Runner, Tables } from "./dialect/program";

const p = sql.placeholder;

export const liveTagColumns = (t: Tables) => ({
  id: t.tags.id,
  name: t.tags.name,
  manifestId: t.tags.manifestId,
  digest: t.manifests.digest,
  startMs: t.tags.startMs,
  expiresMs: t.tags.expiresMs,
  immutable: t.tags.immutable,
});

export const repositoryColumns = (t: Tables) => ({
  id: t.repositories.id,
  namespaceId: t.repositories.namespaceId,
  fullName: t.repositories.fullName,
  visibility: t.repositories.visibility,
  state: t.repositories.state,
});

export function registryStatements(q: Runner) {
  const tagNamed = (t: Tables) => and(eq(t.tags.repositoryId, p("repo")), eq(t.tags.name, p("name")), isNull(t.tags.endMs));
  return {
    /** The repository's facts; read locked (`oneLocked`) by the guards of a write to it. */
    repository: q.statement(({ db, t }) => db.select(repositoryColumns(t)).from(t.repositories).where(eq(t.repositories.id, p("id")))),
    /** Closes the tag's live period at its expiry when that has passed (`now`). */
    closeExpiredTag: q.statement(({ db, t, sql: dialect }) =>
      db
        .update(t.tags)
        .set({ endMs: dialect.maxOrNull(t.tags.expiresMs, t.tags.startMs) })
        .where(and(tagNamed(t), isNotNull(t.tags.expiresMs), lte(t.tags.expiresMs, p("now")))),
    ),
    liveTag: q.statement(({ db, t }) => db.select(liveTagColumns(t)).from(t.tags).innerJoin(t.manifests, eq(t.manifests.id, t.tags.manifestId)).where(tagNamed(t))),
    manifestId: q.statement(({ db, t }) =>
      db
        .select({ id: t.manifests.id })
        .from(t.manifests)
        .where(and(eq(t.manifests.repositoryId, p("repo")), eq(t.manifests.digest, p("digest")))),
    ),
    refreshManifest: q.statement(({ db, t }) => db.update(t.manifests).set({ createdMs: sql`${p("now")}` }).where(eq(t.manifests.id, p("id")))),
    insertManifest: q.statement(({ db, t }) =>
      db
        .insert(t.manifests)
        .values({
          repositoryId: p("repo"),
          digest: p("digest"),
          mediaType: p("mediaType"),
          artifactType: p("artifactType"),
          subjectDigest: p("subjectDigest"),
          size: p("size"),
          content: p("content"),
          annotations: p("annotations"),
          createdMs: p("now"),
        })
        .returning({ id: t.manifests.id }),
    ),
    manifestBlob: q.statement(({ db, t }) => db.insert(t.manifestBlobs).values({ manifestId: p("id"), digest: p("digest") })),
    manifestChild: q.statement(({ db, t }) => db.insert(t.manifestChildren).values({ manifestId: p("id"), childDigest: p("digest") })),
    linkedBlob: q.statement(({ db, t }) =>
      db
        .select({ digest: t.repositoryBlobs.digest })
        .from(t.repositoryBlobs)
        .where(and(eq(t.repositoryBlobs.repositoryId, p("repo")), eq(t.repositoryBlobs.digest, p("digest")))),
    ),
    immutabilityRules: q.statement(({ db, t }) =>
      db
        .select({ tagPattern: t.immutabilityPolicies.tagPattern, tagPatternMatches: t.immutabilityPolicies.tagPatternMatches })
        .from(t.immutabilityPolicies)
        .where(
          or(
            eq(t.immutabilityPolicies.repositoryId, p("repo")),
            and(
              isNull(t.immutabilityPolicies.repositoryId),
              eq(t.immutabilityPolicies.namespaceId, db.select({ id: t.repositories.namespaceId }).from(t.repositories).where(eq(t.repositories.id, p("repo")))),
            ),
          ),
        ),
    ),
    startTag: q.statement(({ db, t }) =>
      db.insert(t.tags).values({ repositoryId: p("repo"), name: p("name"), manifestId: p("manifest"), startMs: p("now"), immutable: p("immutable") }),
    ),
    endTag: q.statement(({ db, t }) => db.update(t.tags).set({ endMs: sql`${p("now")}` }).where(eq(t.tags.id, p("id")))),
    touch: q.statement(({ db, t }) => db.update(t.repositories).set({ updatedMs: sql`${p("now")}` }).where(eq(t.repositories.id, p("id")))),
  };
}

export type RegistryStatements = ReturnType<typeof registryStatements>;
