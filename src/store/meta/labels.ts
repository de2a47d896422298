import { and, asc, eq, sql } from "drizzle-orm";
import { inferLabelMediaType, type LabelSourceType } from "../../oci";
import { all, changes, one, oneLocked, type Program, type Runner, type Tables } from "../dialect/program";

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

const columns = ({ manifestLabels: l }: Tables) => ({
  uuid: l.uuid,
  key: l.key,
  value: l.value,
  mediaType: l.mediaType,
  sourceType: l.sourceType,
  createdMs: l.createdMs,
});

/** What every labelled push runs (applyPushLabels), built once: building them cost more than running them. */
function pushStatements(q: Runner) {
  const p = sql.placeholder;
  return {
    labelledFromManifest: q.statement(({ db, t }) =>
      db
        .select({ id: t.manifestLabels.id })
        .from(t.manifestLabels)
        .where(and(eq(t.manifestLabels.manifestId, p("manifest")), eq(t.manifestLabels.sourceType, "manifest")))
        .limit(1),
    ),
    insertFromManifest: q.statement(({ db, t }) =>
      db
        .insert(t.manifestLabels)
        .values({ uuid: p("uuid"), manifestId: p("manifest"), key: p("key"), value: p("value"), mediaType: p("mediaType"), sourceType: "manifest" }),
    ),
  };
}

/** Labels on manifests: from the image at push time, or added and removed over API v1. */
export class LabelStore {
  private readonly push: ReturnType<typeof pushStatements>;

  constructor(private readonly q: Runner) {
    this.push = pushStatements(q);
  }

  /** The manifest's labels in the order they were added; `keyPrefix` keeps keys starting with it. */
  list(manifestId: number, keyPrefix?: string): Promise<Label[]> {
    return this.q.run(function* ({ db, t }) {
      const l = t.manifestLabels;
      // substr rather than LIKE: an exact, case-sensitive prefix with no wildcards to escape (both dialects have it).
      const prefix = keyPrefix ? sql`substr(${l.key}, 1, ${keyPrefix.length}) = ${keyPrefix}` : undefined;
      return (yield* all(db.select(columns(t)).from(l).where(and(eq(l.manifestId, manifestId), prefix)).orderBy(asc(l.id)))) as Label[];
    });
  }

  get(manifestId: number, uuid: string): Promise<Label | undefined> {
    return this.q.run(function* ({ db, t }) {
      const l = t.manifestLabels;
      return (yield* one(db.select(columns(t)).from(l).where(and(eq(l.manifestId, manifestId), eq(l.uuid, uuid))))) as Label | undefined;
    });
  }

  /** Adds a label as given; callers check keys and media types (oci/labelRules) first. */
  add(label: NewLabel): Promise<Label> {
    return this.q.run(function* ({ db, t }) {
      const [added] = yield* all(db.insert(t.manifestLabels).values({ ...label, uuid: crypto.randomUUID() }).returning(columns(t)));
      return added as Label;
    });
  }

  delete(manifestId: number, uuid: string): Promise<DeleteLabelOutcome> {
    return this.q.transaction(function* ({ db, t }): Program<DeleteLabelOutcome> {
      const l = t.manifestLabels;
      // Locked: of two deletes at once on PostgreSQL, the second finds nothing.
      const found = yield* oneLocked(
        db.select({ id: l.id, sourceType: l.sourceType }).from(l).where(and(eq(l.manifestId, manifestId), eq(l.uuid, uuid))),
      );
      if (!found) return "notFound";
      if (found.sourceType !== "api") return "readOnly";
      yield* changes(db.delete(l).where(eq(l.id, found.id)));
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
    const push = this.push;
    return this.q.transaction(function* ({ db, t }) {
      // The manifest row, locked: two pushes of one manifest at once on PostgreSQL store its labels once.
      yield* oneLocked(db.select({ id: t.manifests.id }).from(t.manifests).where(eq(t.manifests.id, manifestId)));
      if (yield* one(push.labelledFromManifest, { manifest: manifestId })) return false;
      for (const [key, value] of entries) {
        yield* changes(push.insertFromManifest, { uuid: crypto.randomUUID(), manifest: manifestId, key, value, mediaType: inferLabelMediaType(value) });
      }
      return true;
    });
  }
}
