import { and, asc, eq, sql } from "drizzle-orm";
import { inferLabelMediaType, type LabelSourceType } from "../../oci";
import type { MetaDb } from "../db";
import { manifestLabels } from "../schema";

export interface Label {
  uuid: string;
  key: string;
  value: string;
  mediaType: string;
  sourceType: LabelSourceType;
  createdMs: number;
}

export interface NewLabel {
  manifestId: number;
  key: string;
  value: string;
  mediaType: string;
  sourceType: LabelSourceType;
}

/** "readOnly": only labels added over API v1 may be deleted (Quay's mutable source type). */
export type DeleteLabelOutcome = "ok" | "notFound" | "readOnly";

const columns = {
  uuid: manifestLabels.uuid,
  key: manifestLabels.key,
  value: manifestLabels.value,
  mediaType: manifestLabels.mediaType,
  sourceType: manifestLabels.sourceType,
  createdMs: manifestLabels.createdMs,
};

/** Labels on manifests: from the image at push time, or added and removed over API v1. */
/** What every labelled push runs (applyPushLabels), prepared once: building them cost more than running them. */
function preparePushStatements(db: MetaDb) {
  const p = sql.placeholder;
  return {
    labelledFromManifest: db
      .select({ id: manifestLabels.id })
      .from(manifestLabels)
      .where(and(eq(manifestLabels.manifestId, p("manifest")), eq(manifestLabels.sourceType, "manifest")))
      .limit(1)
      .prepare(),
    insertFromManifest: db
      .insert(manifestLabels)
      .values({ uuid: p("uuid"), manifestId: p("manifest"), key: p("key"), value: p("value"), mediaType: p("mediaType"), sourceType: "manifest" })
      .prepare(),
  };
}

export class LabelStore {
  private readonly push: ReturnType<typeof preparePushStatements>;

  constructor(private readonly db: MetaDb) {
    this.push = preparePushStatements(db);
  }

  /** The manifest's labels in the order they were added; `keyPrefix` keeps keys starting with it. */
  async list(manifestId: number, keyPrefix?: string): Promise<Label[]> {
    return this.db
      .select(columns)
      .from(manifestLabels)
      .where(
        and(
          eq(manifestLabels.manifestId, manifestId),
          // substr rather than LIKE: an exact, case-sensitive prefix with no wildcards to escape.
          keyPrefix ? sql`substr(${manifestLabels.key}, 1, ${keyPrefix.length}) = ${keyPrefix}` : undefined,
        ),
      )
      .orderBy(asc(manifestLabels.id))
      .all() as Label[];
  }

  async get(manifestId: number, uuid: string): Promise<Label | undefined> {
    return this.db
      .select(columns)
      .from(manifestLabels)
      .where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.uuid, uuid)))
      .get() as Label | undefined;
  }

  /** Adds a label as given; callers check keys and media types (oci/labelRules) first. */
  async add(label: NewLabel): Promise<Label> {
    return this.db
      .insert(manifestLabels)
      .values({ ...label, uuid: crypto.randomUUID() })
      .returning(columns)
      .get() as Label;
  }

  async delete(manifestId: number, uuid: string): Promise<DeleteLabelOutcome> {
    return this.db.transaction((tx): DeleteLabelOutcome => {
      const found = tx
        .select({ id: manifestLabels.id, sourceType: manifestLabels.sourceType })
        .from(manifestLabels)
        .where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.uuid, uuid)))
        .get();
      if (!found) return "notFound";
      if (found.sourceType !== "api") return "readOnly";
      tx.delete(manifestLabels).where(eq(manifestLabels.id, found.id)).run();
      return "ok";
    });
  }

  /**
   * Stores the labels an image carries (source "manifest", media type inferred) unless the
   * manifest already has such labels: a push of the same manifest again adds nothing. True when
   * they were stored now, so their special meanings apply once, as in Quay.
   */
  async addFromManifest(manifestId: number, labels: Record<string, string>): Promise<boolean> {
    const entries = Object.entries(labels);
    if (!entries.length) return false;
    return this.db.transaction(() => {
      if (this.push.labelledFromManifest.get({ manifest: manifestId })) return false;
      for (const [key, value] of entries) {
        this.push.insertFromManifest.run({ uuid: crypto.randomUUID(), manifest: manifestId, key, value, mediaType: inferLabelMediaType(value) });
      }
      return true;
    });
  }
}
