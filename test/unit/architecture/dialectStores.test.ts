// A store converted to dialect-neutral bodies (it imports src/store/dialect/program.ts) builds its
// queries from its scope and hands them to the runner: it never executes one itself (SQLite's
// .all()/.get()/.run() would type-check and fail on PostgreSQL; an await would commit a SQLite
// transaction early), never imports the SQLite tables or database type, and never spells
// dialect-specific SQL (scope.sql has those). docs/POSTGRES.md, "One store, two dialects".
// Checked: the stores under src/store/meta, the registry's transaction steps beside them in
// src/store (registryTx.ts and its parts), and the operations composing them in src/registry.
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../../src");
const META = join(SRC, "store/meta");

const FORBIDDEN: [RegExp, string][] = [
  // drizzle's executing calls take nothing or a placeholder object; the runner's run takes a body.
  [/\.(all|get|run|values|execute)\(\)|\.(all|get|run|execute)\(\{|\.prepare\(/, "executes a query itself: yield* all/one/changes"],
  [/from "(\.\.?\/)+(store\/)?schema"|from "(\.\.?\/)+(store\/)?tables\//, "imports the SQLite tables: use the scope's `t`"],
  [/from "(\.\.?\/)+(store\/)?db"|\bMetaDb\b/, "takes the SQLite database: take a Runner"],
  [/\.transaction\(\s*\(|\.transaction\(\s*async/, "opens a transaction itself: runner.transaction(function* …)"],
  [/\bawait\b[^;]*\b(db|tx)\./, "awaits a query: yield* it"],
  [/constraint failed|duplicate key/i, "matches an error's text: constraintViolated(e) (src/store/dialect/errors.ts)"],
  [/unixepoch|json_extract|\bMAX\(|\bILIKE\b|\bLIKE\b|\bIS NOT DISTINCT\b|PRAGMA/, "dialect-specific SQL: use scope.sql (src/store/dialect/fragments.ts)"],
];

export function violations(source: string): string[] {
  const found: string[] = [];
  source.split("\n").forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
    for (const [pattern, why] of FORBIDDEN) if (pattern.test(line)) found.push(`${i + 1}: ${why}: ${line.trim()}`);
  });
  return found;
}

// Helpers that converted bodies call, with no body of their own (so no import of the runner's steps).
const BODY_HELPERS = ["prefixSearch.ts"];
const converted = [
  ...new Set([...new Glob("*.ts").scanSync(META)].filter((f) => readFileSync(join(META, f), "utf8").includes('from "../dialect/program"')).concat(BODY_HELPERS)),
].sort();

/** Outside meta: the files of src/store (not the dialects themselves) and src/registry that build or compose bodies. */
const convertedElsewhere = ["store/*.ts", "registry/**/*.ts"]
  .flatMap((pattern) => [...new Glob(pattern).scanSync(SRC)])
  .filter((f) => /from "(\.\.?\/)+(store\/)?dialect\/program"/.test(readFileSync(join(SRC, f), "utf8")))
  .sort();

test("the converted stores are these, at least", () => {
  expect(converted).toEqual(
    expect.arrayContaining([
      "appTokens.ts",
      "auditLog.ts",
      "autoPrunePolicies.ts",
      "blobLinks.ts",
      "cacheOrgNames.ts",
      "collection.ts",
      "globalMessages.ts",
      "healthProbe.ts",
      "immutabilityPolicies.ts",
      "labels.ts",
      "manifests.ts",
      "mirrorProxies.ts",
      "mirrorRows.ts",
      "mirrors.ts",
      "namespaces.ts",
      "notifications.ts",
      "oauth.ts",
      "oauthApplications.ts",
      "oauthAssignments.ts",
      "oauthTokens.ts",
      "orgs.ts",
      "permissions.ts",
      "policyScope.ts",
      "prefixSearch.ts",
      "prototypes.ts",
      "proxyCacheTags.ts",
      "proxyCaches.ts",
      "repositories.ts",
      "robots.ts",
      "stars.ts",
      "tagPeriods.ts",
      "tags.ts",
      "teams.ts",
      "uploads.ts",
      "users.ts",
    ]),
  );
});

test.each(converted)("%s builds queries and yields them, nothing more", (file) => {
  expect(violations(readFileSync(join(META, file), "utf8"))).toEqual([]);
});

test("the registry's transaction steps and operations are checked too, at least these", () => {
  expect(convertedElsewhere).toEqual(
    expect.arrayContaining(["store/registryTx.ts", "store/registryWrites.ts", "store/registryTxNamespaces.ts", "store/registryStatements.ts", "store/lifecycleTx.ts", "registry/operation.ts", "registry/guards.ts", "registry/tagSteps.ts", "registry/manifestSteps.ts"]),
  );
});

test.each(convertedElsewhere)("%s builds queries and yields them, nothing more", (file) => {
  expect(violations(readFileSync(join(SRC, file), "utf8"))).toEqual([]);
});

test.each([
  ["db.select().from(t.stars).all();", 1],
  ["const row = db.select().from(t.stars).get();", 1],
  ['import { stars } from "../schema";', 1],
  ['import { tags } from "./schema";', 1],
  ['import type { MetaDb } from "./db";', 1],
  ['import { all } from "./dialect/program";', 0],
  ["constructor(private readonly db: MetaDb) {}", 1],
  ["return this.db.transaction((tx) => {", 1],
  ["const rows = await db.select().from(t.stars);", 1],
  ["sql`json_extract(${c}, '$.count')`", 1],
  ["prepared.run({ id: 1 });", 1],
  ["const q = db.select().from(t.stars).prepare();", 1],
  ['if (String(e).includes("UNIQUE constraint failed")) return "exists";', 1],
  ["const n = map.get(key);", 0],
  ["return this.q.run(function* ({ db, t }) {", 0],
  ["prepared.values();", 1],
  ["yield* changes(db.insert(t.stars).values({ userId, repositoryId }));", 0],
  ["return yield* all(db.select().from(t.stars));", 0],
  ["// .all() in a comment", 0],
])("the check itself: %p has %p finding(s)", (line, n) => {
  expect(violations(line)).toHaveLength(n);
});
