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
export class LabelStore {
  constructor(private readonly db: MetaDb) {}

  /** The manifest's labels in the order they were added; `keyPrefix` keeps keys starting with it. */
  list(manifestId: number, keyPrefix?: string): Label[] {
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

  get(manifestId: number, uuid: string): Label | undefined {
    return this.db
      .select(columns)
      .from(manifestLabels)
      .where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.uuid, uuid)))
      .get() as Label | undefined;
  }

  /** Adds a label as given; callers check keys and media types (oci/labelRules) first. */
  add(label: NewLabel): Label {
    return this.db
      .insert(manifestLabels)
      .values({ ...label, uuid: crypto.randomUUID() })
      .returning(columns)
      .get() as Label;
  }

  delete(manifestId: number, uuid: string): DeleteLabelOutcome {
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
  addFromManifest(manifestId: number, labels: Record<string, string>): boolean {
    const entries = Object.entries(labels);
    if (!entries.length) return false;
    return this.db.transaction((tx) => {
      const already = tx
        .select({ id: manifestLabels.id })
        .from(manifestLabels)
        .where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.sourceType, "manifest")))
        .limit(1)
        .get();
      if (already) return false;
      const rows = entries.map(([key, value]) => ({
        uuid: crypto.randomUUID(),
        manifestId,
        key,
        value,
        mediaType: inferLabelMediaType(value),
        sourceType: "manifest",
      }));
      // In slices, to stay under SQLite's limit on bound parameters.
      for (let i = 0; i < rows.length; i += 500) tx.insert(manifestLabels).values(rows.slice(i, i + 500)).run();
      return true;
    });
  }
}
