// The statements every manifest push and tag change runs, prepared once per database. Built
// through drizzle each time, they cost more than they do: a many-tags push profile spent ~17 % of
// the server's CPU in SQLite's prepare and as much again in drizzle's query building
// (docs/BENCHMARKS.md, "Manifest pushes after the registry core"). Prepared on the connection the
// transactions run on, they take part in whichever transaction is open.
import { and, eq, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { MetaDb } from "./db";
import { immutabilityPolicies, manifestBlobs, manifestChildren, manifests, repositories, repositoryBlobs, tags } from "./schema";

const p = sql.placeholder;

export const liveTagColumns = {
  id: tags.id,
  name: tags.name,
  manifestId: tags.manifestId,
  digest: manifests.digest,
  startMs: tags.startMs,
  expiresMs: tags.expiresMs,
  immutable: tags.immutable,
};

export const repositoryColumns = {
  id: repositories.id,
  namespaceId: repositories.namespaceId,
  fullName: repositories.fullName,
  visibility: repositories.visibility,
  state: repositories.state,
};

export function prepareRegistryStatements(db: MetaDb) {
  const tagNamed = and(eq(tags.repositoryId, p("repo")), eq(tags.name, p("name")), isNull(tags.endMs));
  return {
    repository: db.select(repositoryColumns).from(repositories).where(eq(repositories.id, p("id"))).prepare(),
    /** Closes the tag's live period at its expiry when that has passed (`now`). */
    closeExpiredTag: db
      .update(tags)
      .set({ endMs: sql`MAX(${tags.expiresMs}, ${tags.startMs})` })
      .where(and(tagNamed, isNotNull(tags.expiresMs), lte(tags.expiresMs, p("now"))))
      .prepare(),
    liveTag: db.select(liveTagColumns).from(tags).innerJoin(manifests, eq(manifests.id, tags.manifestId)).where(tagNamed).prepare(),
    manifestId: db
      .select({ id: manifests.id })
      .from(manifests)
      .where(and(eq(manifests.repositoryId, p("repo")), eq(manifests.digest, p("digest"))))
      .prepare(),
    refreshManifest: db.update(manifests).set({ createdMs: sql`${p("now")}` }).where(eq(manifests.id, p("id"))).prepare(),
    insertManifest: db
      .insert(manifests)
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
      .returning({ id: manifests.id })
      .prepare(),
    manifestBlob: db.insert(manifestBlobs).values({ manifestId: p("id"), digest: p("digest") }).prepare(),
    manifestChild: db.insert(manifestChildren).values({ manifestId: p("id"), childDigest: p("digest") }).prepare(),
    linkedBlob: db
      .select({ digest: repositoryBlobs.digest })
      .from(repositoryBlobs)
      .where(and(eq(repositoryBlobs.repositoryId, p("repo")), eq(repositoryBlobs.digest, p("digest"))))
      .prepare(),
    immutabilityRules: db
      .select({ tagPattern: immutabilityPolicies.tagPattern, tagPatternMatches: immutabilityPolicies.tagPatternMatches })
      .from(immutabilityPolicies)
      .where(
        or(
          eq(immutabilityPolicies.repositoryId, p("repo")),
          and(
            isNull(immutabilityPolicies.repositoryId),
            eq(immutabilityPolicies.namespaceId, db.select({ id: repositories.namespaceId }).from(repositories).where(eq(repositories.id, p("repo")))),
          ),
        ),
      )
      .prepare(),
    startTag: db
      .insert(tags)
      .values({ repositoryId: p("repo"), name: p("name"), manifestId: p("manifest"), startMs: p("now"), immutable: p("immutable") })
      .prepare(),
    endTag: db.update(tags).set({ endMs: sql`${p("now")}` }).where(eq(tags.id, p("id"))).prepare(),
    touch: db.update(repositories).set({ updatedMs: sql`${p("now")}` }).where(eq(repositories.id, p("id"))).prepare(),
  };
}

export type RegistryStatements = ReturnType<typeof prepareRegistryStatements>;
