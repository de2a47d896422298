// Every promise in src/ is awaited, returned, stored, passed on or explicitly dropped with `void`
// (test/support/floatingPromises.ts says what counts). The store's methods return promises (a
// PostgreSQL backend needs them to): an un-awaited `stores.tags.delete(…)` type-checks, runs
// after the answer, and loses its error. One Program over src/ (a few seconds).
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { join, resolve } from "node:path";
import { findFloatingPromises } from "../../support/floatingPromises";

const ROOT = resolve(import.meta.dir, "../../..");
const SRC = join(ROOT, "src");

// A Program over the whole of src/ takes a few seconds on a loaded 2-core machine.
test("no floating promises in src/", () => {
  const files = [...new Glob("**/*.ts").scanSync(SRC)].filter((f) => !f.startsWith("ui/app/")).map((f) => join(SRC, f));
  const found = findFloatingPromises(join(ROOT, "tsconfig.json"), files, (f) => f.startsWith(SRC + "/") && !f.includes("/ui/app/"));
  expect(found.map((f) => `${f.file.slice(ROOT.length + 1)}:${f.line} ${f.why}: ${f.text}`)).toEqual([]);
}, 60_000);
