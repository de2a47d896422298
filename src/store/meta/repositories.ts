import { and, asc, eq, gt, inArray, or, sql } from "drizzle-orm";
import { contains } from "./prefixSearch";
import { all, changes, one, type Runner } from "../dialect/program";
import type { MaybePromise, ReadCache } from "./readCache";

export interface RepoDetails {
  id: number;
  fullName: string;
  name: string;
  namespace: string;
  namespaceKind: "user" | "org";
  description: string | null;
  visibility: "private" | "public";
  updatedMs: number;
  state: "NORMAL" | "READ_ONLY" | "MIRROR";
}

/** A repository found by `search`. */
export interface RepoMatch {
  id: number;
  fullName: string;
  description: string | null;
  visibility: "private" | "public";
}

export interface RepoSearch {
  /** Only public repositories (anonymous callers: no per-row filter needed). */
  publicOnly: boolean;
  /** Drops rows the caller may not see; skipped rows do not count towards `skip` or `limit`. */
  filter?: (fullName: string) => MaybePromise<boolean>;
  skip: number;
  limit: number;
}

export interface RepoRow {
  id: number;
  fullName: string;
  visibility: "private" | "public";
}

/** Rows read per query by the listings that filter (permissions) as they go. */
const BATCH = 500;

/** Repositories and the namespaces that hold them. */
export class RepositoryStore {
  private readonly byName;

  constructor(
    private readonly q: Runner,
    private readonly cache: ReadCache,
  ) {
    this.byName = q.statement(({ db, t }) =>
      db
        .select({ id: t.repositories.id, fullName: t.repositories.fullName, visibility: t.repositories.visibility })
        .from(t.repositories)
        .where(eq(t.repositories.fullName, sql.placeholder("name"))),
    );
  }

  find(fullName: string): Promise<RepoRow | undefined> {
    return Promise.resolve(this.findMaybeSync(fullName));
  }

  /** find() at once when remembered or on SQLite (the manifest GET path), a promise otherwise. */
  findMaybeSync(fullName: string): MaybePromise<RepoRow | undefined> {
    const byName = this.byName;
    return this.cache.get(`repo\0${fullName}`, () =>
      this.q.runMaybeSync(function* () {
        return yield* one(byName, { name: fullName });
      }),
    );
  }

  /**
   * Finds or creates `ns/name`, and an ownerless namespace when it is missing: call
   * createRepositoryWithDefaults instead, which creates a namespace only in open mode.
   */
  async ensure(fullName: string, visibility: "private" | "public" = "private"): Promise<RepoRow> {
    const existing = await this.find(fullName);
    if (existing) return existing;
    const slash = fullName.indexOf("/");
    const nsName = fullName.slice(0, slash);
    const name = fullName.slice(slash + 1);
    try {
      return await this.q.transaction(function* ({ db, t }) {
        yield* changes(db.insert(t.namespaces).values({ name: nsName }).onConflictDoNothing());
        const ns = (yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, nsName))))!;
        yield* changes(db.insert(t.repositories).values({ namespaceId: ns.id, name, fullName, visibility }).onConflictDoNothing());
        return (yield* one(
          db
            .select({ id: t.repositories.id, fullName: t.repositories.fullName, visibility: t.repositories.visibility })
            .from(t.repositories)
            .where(eq(t.repositories.fullName, fullName)),
        ))!;
      });
    } finally {
      // After the commit: a read meanwhile may have remembered the repository missing.
      this.cache.clear();
    }
  }

  /** Makes every public repository of the namespace private; answers their names (start-up containment of a misused namespace). */
  async makeNamespacePrivate(namespaceId: number): Promise<string[]> {
    try {
      const rows = await this.q.run(function* ({ db, t }) {
        return yield* all(
          db
            .update(t.repositories)
            .set({ visibility: "private", updatedMs: Date.now() })
            .where(and(eq(t.repositories.namespaceId, namespaceId), eq(t.repositories.visibility, "public")))
            .returning({ fullName: t.repositories.fullName }),
        );
      });
      return rows.map((r) => r.fullName).sort();
    } finally {
      this.cache.clear();
    }
  }

  /** Repository rows for listings (all of them, in name order; callers filter by permission). */
  async details(fullNames: string[]): Promise<RepoDetails[]> {
    if (fullNames.length === 0) return [];
    return this.q.run(function* ({ db, t }) {
      const rows: RepoDetails[] = [];
      for (let i = 0; i < fullNames.length; i += BATCH) {
        rows.push(
          ...(yield* all(
            db
              .select({
                id: t.repositories.id,
                fullName: t.repositories.fullName,
                name: t.repositories.name,
                namespace: t.namespaces.name,
                namespaceKind: t.namespaces.kind,
                description: t.repositories.description,
                visibility: t.repositories.visibility,
                updatedMs: t.repositories.updatedMs,
                state: t.repositories.state,
              })
              .from(t.repositories)
              .innerJoin(t.namespaces, eq(t.namespaces.id, t.repositories.namespaceId))
              .where(inArray(t.repositories.fullName, fullNames.slice(i, i + BATCH)))
              .orderBy(asc(t.repositories.fullName)),
          )),
        );
      }
      return rows;
    });
  }

  async setDescription(id: number, description: string): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.repositories).set({ description, updatedMs: Date.now() }).where(eq(t.repositories.id, id)));
    });
  }

  /**
   * Deletes a namespace (user or organization) and, by cascade, its repositories, robots, teams
   * and everything they hold. The read cache forgets them; gc frees the bytes.
   */
  async deleteNamespace(namespaceId: number): Promise<void> {
    this.cache.clear();
    try {
      await this.q.run(function* ({ db, t }) {
        yield* changes(db.delete(t.namespaces).where(eq(t.namespaces.id, namespaceId)));
      });
    } finally {
      // Again: a read racing the delete may have cached a row that no longer exists.
      this.cache.clear();
    }
  }

  async touch(id: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.repositories).set({ updatedMs: Date.now() }).where(eq(t.repositories.id, id)));
    });
  }

  /**
   * Repositories whose full name or description contains `term` (taken literally, ASCII
   * case-insensitive), in name order, after dropping what `filter` refuses.
   */
  async search(term: string, opts: RepoSearch): Promise<RepoMatch[]> {
    const out: RepoMatch[] = [];
    let skip = opts.skip;
    let cursor = "";
    for (;;) {
      const after = cursor;
      const rows = await this.q.run(function* ({ db, t, sql: fragments }) {
        const r = t.repositories;
        const matches = or(contains(fragments, r.fullName, term), contains(fragments, r.description, term));
        return yield* all(
          db
            .select({ id: r.id, fullName: r.fullName, description: r.description, visibility: r.visibility })
            .from(r)
            .where(and(gt(r.fullName, after), matches, opts.publicOnly ? eq(r.visibility, "public") : undefined))
            .orderBy(asc(r.fullName))
            .limit(BATCH),
        );
      });
      for (const row of rows) {
        // Awaited only when a promise: the filter is asked of every row.
        const visible = opts.filter?.(row.fullName) ?? true;
        if (!(visible instanceof Promise ? await visible : visible)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(row);
        if (out.length >= opts.limit) return out;
      }
      if (rows.length < BATCH) return out;
      cursor = rows[rows.length - 1]!.fullName;
    }
  }

  /** Full names in lexical order after `last`, at most `limit` (all when limit is undefined). */
  async list(last: string | undefined, limit: number | undefined, filter?: (name: string) => MaybePromise<boolean>): Promise<string[]> {
    const out: string[] = [];
    let cursor = last ?? "";
    // Page through in batches so a filter (permissions) can drop rows without short pages.
    for (;;) {
      const after = cursor;
      const rows = await this.q.run(function* ({ db, t }) {
        return yield* all(
          db
            .select({ fullName: t.repositories.fullName })
            .from(t.repositories)
            .where(gt(t.repositories.fullName, after))
            .orderBy(asc(t.repositories.fullName))
            .limit(BATCH),
        );
      });
      for (const r of rows) {
        const visible = filter?.(r.fullName) ?? true;
        if (visible instanceof Promise ? await visible : visible) out.push(r.fullName);
        if (limit !== undefined && out.length >= limit) return out;
      }
      if (rows.length < BATCH) return out;
      cursor = rows[rows.length - 1]!.fullName;
    }
  }
}
