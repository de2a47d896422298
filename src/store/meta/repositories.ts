import { and, asc, eq, gt, inArray, or, sql } from "drizzle-orm";
import { contains } from "./prefixSearch";
import { sqliteFragments } from "../dialect/fragments";
import type { MetaDb } from "../db";
import type { ReadCache } from "./readCache";
import { namespaces, repositories } from "../schema";

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
  filter?: (fullName: string) => boolean | Promise<boolean>;
  skip: number;
  limit: number;
}

export interface RepoRow {
  id: number;
  fullName: string;
  visibility: "private" | "public";
}

/** Repositories and the namespaces that hold them. */
export class RepositoryStore {
  private readonly byName;

  constructor(
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
  ) {
    this.byName = db
      .select({ id: repositories.id, fullName: repositories.fullName, visibility: repositories.visibility })
      .from(repositories)
      .where(eq(repositories.fullName, sql.placeholder("name")))
      .prepare();
  }

  find(fullName: string): RepoRow | undefined {
    return this.cache.get(`repo\0${fullName}`, () => this.byName.get({ name: fullName }));
  }

  /**
   * Finds or creates `ns/name`, and an ownerless namespace when it is missing: call
   * createRepositoryWithDefaults instead, which creates a namespace only in open mode.
   */
  ensure(fullName: string, visibility: "private" | "public" = "private"): RepoRow {
    const existing = this.find(fullName);
    if (existing) return existing;
    const slash = fullName.indexOf("/");
    this.cache.clear();
    const nsName = fullName.slice(0, slash);
    const name = fullName.slice(slash + 1);
    return this.db.transaction((tx) => {
      tx.insert(namespaces).values({ name: nsName }).onConflictDoNothing().run();
      const ns = tx.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.name, nsName)).get()!;
      tx.insert(repositories)
        .values({ namespaceId: ns.id, name, fullName, visibility })
        .onConflictDoNothing()
        .run();
      return tx
        .select({ id: repositories.id, fullName: repositories.fullName, visibility: repositories.visibility })
        .from(repositories)
        .where(eq(repositories.fullName, fullName))
        .get()!;
    });
  }

  /** Makes every public repository of the namespace private; answers their names (start-up containment of a misused namespace). */
  makeNamespacePrivate(namespaceId: number): string[] {
    this.cache.clear();
    return this.db
      .update(repositories)
      .set({ visibility: "private", updatedMs: Date.now() })
      .where(and(eq(repositories.namespaceId, namespaceId), eq(repositories.visibility, "public")))
      .returning({ fullName: repositories.fullName })
      .all()
      .map((r) => r.fullName);
  }

  /** Repository rows for listings (all of them; callers filter by permission). */
  details(fullNames: string[]): RepoDetails[] {
    if (fullNames.length === 0) return [];
    const rows: RepoDetails[] = [];
    for (let i = 0; i < fullNames.length; i += 500) {
      rows.push(
        ...this.db
          .select({
            id: repositories.id,
            fullName: repositories.fullName,
            name: repositories.name,
            namespace: namespaces.name,
            namespaceKind: namespaces.kind,
            description: repositories.description,
            visibility: repositories.visibility,
            updatedMs: repositories.updatedMs,
            state: repositories.state,
          })
          .from(repositories)
          .innerJoin(namespaces, eq(namespaces.id, repositories.namespaceId))
          .where(inArray(repositories.fullName, fullNames.slice(i, i + 500)))
          .all(),
      );
    }
    return rows;
  }

  setDescription(id: number, description: string): void {
    this.db.update(repositories).set({ description, updatedMs: Date.now() }).where(eq(repositories.id, id)).run();
  }

  /**
   * Deletes a namespace (user or organization) and, by cascade, its repositories, robots, teams
   * and everything they hold. The read cache forgets them; gc frees the bytes.
   */
  deleteNamespace(namespaceId: number): void {
    this.cache.clear();
    this.db.delete(namespaces).where(eq(namespaces.id, namespaceId)).run();
    // Again: a read racing the delete may have cached a row that no longer exists.
    this.cache.clear();
  }

  touch(id: number): void {
    this.db
      .update(repositories)
      .set({ updatedMs: Date.now() })
      .where(eq(repositories.id, id))
      .run();
  }

  /**
   * Repositories whose full name or description contains `term` (taken literally, ASCII
   * case-insensitive), in name order, after dropping what `filter` refuses.
   */
  async search(term: string, opts: RepoSearch): Promise<RepoMatch[]> {
    const out: RepoMatch[] = [];
    let skip = opts.skip;
    let cursor = "";
    const batch = 500;
    const matches = or(contains(sqliteFragments, repositories.fullName, term), contains(sqliteFragments, repositories.description, term));
    for (;;) {
      const rows = this.db
        .select({ id: repositories.id, fullName: repositories.fullName, description: repositories.description, visibility: repositories.visibility })
        .from(repositories)
        .where(and(gt(repositories.fullName, cursor), matches, opts.publicOnly ? eq(repositories.visibility, "public") : undefined))
        .orderBy(asc(repositories.fullName))
        .limit(batch)
        .all();
      for (const r of rows) {
        if (opts.filter && !(await opts.filter(r.fullName))) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(r);
        if (out.length >= opts.limit) return out;
      }
      if (rows.length < batch) return out;
      cursor = rows[rows.length - 1]!.fullName;
    }
  }

  /** Full names in lexical order after `last`, at most `limit` (all when limit is undefined). */
  async list(last: string | undefined, limit: number | undefined, filter?: (name: string) => boolean | Promise<boolean>): Promise<string[]> {
    const out: string[] = [];
    let cursor = last ?? "";
    // Page through in batches so a filter (permissions) can drop rows without short pages.
    const batch = 500;
    for (;;) {
      const rows = this.db
        .select({ fullName: repositories.fullName })
        .from(repositories)
        .where(and(gt(repositories.fullName, cursor)))
        .orderBy(asc(repositories.fullName))
        .limit(batch)
        .all();
      for (const r of rows) {
        if (!filter || (await filter(r.fullName))) out.push(r.fullName);
        if (limit !== undefined && out.length >= limit) return out;
      }
      if (rows.length < batch) return out;
      cursor = rows[rows.length - 1]!.fullName;
    }
  }
}
