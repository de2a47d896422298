// Every promise in src/ is awaited, returned, stored, passed on or explicitly dropped with `void`
// (test/support/floatingPromises.ts says what counts). The store's methods return promises (a
// PostgreSQL backend needs them to): an un-awaited `stores.tags.delete(…)` type-checks, runs
// after the answer, and loses its error. One Program over src/ (a few seconds).
import { expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findFloatingPromises } from "../../support/floatingPromises";

const ROOT = resolve(import.meta.dir, "../../..");
const SRC = join(ROOT, "src");

// One Program over the whole of src/: ~10 s on a quiet machine, 40 s seen on the shared 2-core machine under load.
test("no floating promises in src/", () => {
  const files = [...new Glob("**/*.ts").scanSync(SRC)].filter((f) => !f.startsWith("ui/app/")).map((f) => join(SRC, f));
  const found = findFloatingPromises(join(ROOT, "tsconfig.json"), files, (f) => f.startsWith(SRC + "/") && !f.includes("/ui/app/"));
  expect(found.map((f) => `${f.file.slice(ROOT.length + 1)}:${f.line} ${f.why}: ${f.text}`)).toEqual([]);
}, 120_000);

// The check itself, on a file of cases: what it must find and what it must leave alone.
test("the check finds the marked lines of its fixture, and only those", () => {
  const fixture = join(ROOT, "test/support/floatingPromisesFixture.ts");
  const found = findFloatingPromises(join(ROOT, "tsconfig.json"), [fixture], (f) => f === fixture);
  const marked = readFileSync(fixture, "utf8")
    .split("\n")
    .flatMap((line, i) => (line.endsWith("// found") ? [i + 1] : []));
  expect([...new Set(found.map((f) => f.line))].sort((a, b) => a - b)).toEqual(marked);
}, 120_000);
