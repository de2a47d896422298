// Module boundaries (DESIGN.md "Modules and what each may touch"; docs/ARCHITECTURE.md copies the
// table below): every import between our own files in src/ must be an edge MODULES allows, and
// no two folders may reach each other through imports. Type-only imports count: they are edges a
// reader follows, and a type that crosses a boundary the wrong way usually drags its module along.
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const SRC = resolve(import.meta.dir, "../../../src");

// ─── The table (docs/ARCHITECTURE.md is written from it: change both together) ──────────────
// A module is a folder under src/, or one of two kinds of top-level file:
// - "composition": builds the context, wires listeners, starts; may import anything.
// - "leaf": every other top-level file (src/config.ts, src/log.ts, src/ipAddress.ts,
//   src/secrets.ts, src/requestBody.ts): settings, logging and small helpers; each other only.
// A module may always import its own files. "leaf" in a row means any leaf file.
const COMPOSITION_FILES = [
  "app.ts",
  "server.ts",
  "main.ts",
  // The body cap hook of the whole HTTP surface: it routes a refusal into the wire format of the
  // API a path belongs to (v1's ApiError, v2's RegistryError), so it knows both APIs by design.
  "bodyLimit.ts",
];

const MODULES: { module: string; owns: string; mayImport: string[] }[] = [
  { module: "oci", owns: "digests, media types, manifests, name/tag/reference grammar, Range, durations; pure", mayImport: [] },
  { module: "leaf", owns: "settings, logging, IP parsing, secret helpers, capped body reads", mayImport: ["leaf"] },
  { module: "store", owns: "all SQL and the blob store; typed outcomes, no HTTP, no policy", mayImport: ["oci", "leaf"] },
  { module: "auth", owns: "who is calling: credentials, token codes, OAuth scope names, identities", mayImport: ["store", "oci", "leaf"] },
  { module: "perm", owns: "what the caller may do: roles, standings, scope caps, every permission decision", mayImport: ["store", "auth", "oci", "leaf"] },
  { module: "events", owns: "the typed events the registry emits, the in-process bus", mayImport: ["oci", "leaf"] },
  { module: "registry", owns: "every change to registry state, one transaction and one event each", mayImport: ["store", "perm", "events", "oci", "leaf"] },
  { module: "audit", owns: "listener: audit entries (Quay's log kinds)", mayImport: ["store", "events", "oci", "leaf"] },
  { module: "notify", owns: "listener: notifications (validation, webhook policy, outbox, delivery)", mayImport: ["store", "events", "oci", "leaf"] },
  { module: "labels", owns: "listener: labels and expiry from pushed images", mayImport: ["store", "events", "oci", "leaf"] },
  { module: "upstream", owns: "the client of another registry: token flow, Link pages, verified manifests and blobs, where it may connect", mayImport: ["oci", "leaf"] },
  { module: "mirror", owns: "repository mirroring: the worker that claims due mirrors and syncs them through registry operations", mayImport: ["registry", "upstream", "store", "events", "oci", "leaf"] },
  { module: "proxy", owns: "proxy-cache organizations: pulls through the cache (manifests fresh or re-checked, blobs streamed while stored, once per digest) through registry operations", mayImport: ["registry", "upstream", "store", "events", "oci", "leaf"] },
  { module: "v2", owns: "OCI distribution routes and error body; HTTP only", mayImport: ["registry", "perm", "auth", "store", "oci", "leaf"] },
  { module: "v1", owns: "Quay REST routes, error bodies, route macros; HTTP only", mayImport: ["registry", "perm", "auth", "store", "audit", "oci", "leaf"] },
  { module: "cli", owns: "the command-line verbs beside serve; parses its arguments with oci's grammar", mayImport: ["registry", "store", "auth", "perm", "oci", "leaf"] },
  { module: "tls", owns: "HTTPS: the local CA and its server certificates, the operator's certificate files, the listener that reloads them", mayImport: ["leaf"] },
  { module: "metrics", owns: "Prometheus /metrics: per-request figures in arrays, prom-client's registry, counted logins, the endpoint and its token", mayImport: ["store", "auth", "leaf"] },
  { module: "health", owns: "Quay's /health checks (what each probes) and their answer", mayImport: ["store", "leaf"] },
  { module: "ui", owns: "the web UI: its browser app (app/), bundled at build time (build/), served at / (serve/); talks to the server over HTTP only", mayImport: [] },
  { module: "composition", owns: "app.ts, server.ts, main.ts, bodyLimit.ts", mayImport: ["*"] },
];

/** Not code: the project's package.json (for the version number). Any module may read it. */
const DATA_FILES = ["../package.json"];

/**
 * Edges the table forbids that are being removed by their owners in issue 9 (the registry core
 * and its events carry the actor and emit pulls). Each must still exist (the test says when one
 * is gone, so the list only shrinks); this list must be empty when issue 9 is done.
 */
const PENDING: { file: string; spec: string; owner: string }[] = [];
// ─────────────────────────────────────────────────────────────────────────────────────────────

const COMPOSITION = new Set(COMPOSITION_FILES);
const ALLOWED = new Map(MODULES.map((m) => [m.module, m.mayImport]));

/** The module a file (path relative to src/) belongs to. */
function moduleOf(file: string): string {
  if (DATA_FILES.includes(file)) return "data";
  const slash = file.indexOf("/");
  if (slash >= 0) return file.slice(0, slash);
  return COMPOSITION.has(file) ? "composition" : "leaf";
}

function allowed(from: string, to: string): boolean {
  if ((from === to && from !== "leaf") || to === "data") return true;
  const list = ALLOWED.get(from);
  return list !== undefined && (list.includes("*") || list.includes(to));
}

/** Every module specifier a file names: import/export … from, import x = require(), import(),
 *  and `import("…").Type` in type positions. */
function specifiersOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push(expr.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) found.push(arg.text);
      else found.push("<dynamic import with a computed name>");
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) found.push(arg.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

type Edge = { file: string; spec: string; from: string; to: string };

function srcFiles(): string[] {
  return [...new Glob("**/*.ts").scanSync({ cwd: SRC })].sort();
}

/** The file a relative specifier names, relative to src/ (a folder means its index.ts), or
 *  undefined when there is none. */
function resolveImport(file: string, spec: string): string | undefined {
  const base = resolve(SRC, dirname(file), spec);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(SRC, candidate);
  }
  return undefined;
}

/** Imports of our own files (relative specifiers), resolved to src/-relative paths. */
async function edges(): Promise<Edge[]> {
  const out: Edge[] = [];
  for (const file of srcFiles()) {
    const text = await Bun.file(join(SRC, file)).text();
    for (const spec of specifiersOf(file, text)) {
      if (spec.startsWith("<")) {
        out.push({ file, spec, from: moduleOf(file), to: "?" });
        continue;
      }
      if (!spec.startsWith(".")) continue; // a package or a Bun/Node built-in
      const target = resolveImport(file, spec);
      const to = target === undefined ? "? (no such file)" : target.startsWith("..") && !DATA_FILES.includes(target) ? "outside src" : moduleOf(target);
      out.push({ file, spec, from: moduleOf(file), to });
    }
  }
  return out;
}

/** Folder cycles: a path of folder-to-folder edges that comes back to where it started. */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const walk = (start: string, node: string, path: string[]) => {
    for (const next of graph.get(node) ?? []) {
      if (next === start) cycles.push([...path, start]);
      else if (!path.includes(next) && !seen.has(next)) walk(start, next, [...path, next]);
    }
  };
  for (const start of [...graph.keys()].sort()) {
    walk(start, start, [start]);
    seen.add(start); // each cycle is reported once, from its first folder in sort order
  }
  return cycles;
}

/** Edges between two different folders (leaf files, composition and data left out). */
function folderGraph(pairs: Iterable<[string, string]>): Map<string, Set<string>> {
  const folders = new Set(MODULES.map((m) => m.module).filter((m) => m !== "leaf" && m !== "composition"));
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of pairs) {
    if (from !== to && folders.has(from) && folders.has(to)) graph.set(from, (graph.get(from) ?? new Set()).add(to));
  }
  return graph;
}

const isPending = (e: Edge) => PENDING.some((p) => p.file === e.file && p.spec === e.spec);

describe("module boundaries", () => {
  let found: Promise<Edge[]> | undefined;
  const all = () => (found ??= edges());

  test("the table names only known modules and allows no cycle, nor v1 ↔ v2", () => {
    const pairs: [string, string][] = [];
    for (const { module, mayImport } of MODULES) {
      for (const to of mayImport) {
        if (to === "*") continue;
        expect(ALLOWED.has(to), `${module} lists unknown module ${to}`).toBe(true);
        pairs.push([module, to]);
      }
    }
    expect(folderCycles(folderGraph(pairs)).map((c) => c.join(" → "))).toEqual([]);
    expect(allowed("v1", "v2") || allowed("v2", "v1")).toBe(false);
  });

  test("every folder and top-level file of src/ has its row", () => {
    const missing = [...new Set(srcFiles().map(moduleOf))].filter((m) => !ALLOWED.has(m));
    expect(missing, "give the new folder a row in MODULES (and docs/ARCHITECTURE.md)").toEqual([]);
    for (const file of [...COMPOSITION_FILES]) expect(existsSync(join(SRC, file)), `src/${file}`).toBe(true);
  });

  test("every import in src/ is an allowed edge", async () => {
    const bad = (await all())
      .filter((e) => !allowed(e.from, e.to) && !isPending(e))
      .map((e) => `src/${e.file} (${e.from}) imports "${e.spec}" (${e.to})`);
    expect(bad).toEqual([]);
  });

  test("edges pending removal still exist (else take them off PENDING)", async () => {
    const edgesNow = await all();
    const gone = PENDING.filter((p) => !edgesNow.some((e) => e.file === p.file && e.spec === p.spec && !allowed(e.from, e.to)));
    expect(gone).toEqual([]);
  });

  test("no two folders reach each other through imports", async () => {
    const graph = folderGraph((await all()).map((e): [string, string] => [e.from, e.to]));
    expect(folderCycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });
});

describe("the import reader", () => {
  const cases: [string, string[]][] = [
    [`import { a } from "./a";`, ["./a"]],
    [`import type { B } from "../perm/b";`, ["../perm/b"]],
    [`import {\n  c,\n  type D,\n} from "./c.ts";`, ["./c.ts"]],
    [`export { e } from "./e";`, ["./e"]],
    [`export * from "./f";`, ["./f"]],
    [`export type { G } from "./g";`, ["./g"]],
    [`import "./side";`, ["./side"]],
    [`const m = await import("./lazy");`, ["./lazy"]],
    [`let t: import("./typed").T;`, ["./typed"]],
    [`import x = require("./old");`, ["./old"]],
    [`const n = "./x"; await import(n);`, ["<dynamic import with a computed name>"]],
    [`// import { no } from "./comment";\nconst s = 'import { no } from "./string"';`, []],
  ];
  for (const [code, want] of cases) {
    test(JSON.stringify(code), () => expect(specifiersOf("case.ts", code)).toEqual(want));
  }
});

describe("the module map", () => {
  const cases: [string, string, string, boolean][] = [
    // file, its module, a target module, allowed?
    ["oci/digest.ts", "oci", "oci", true],
    ["oci/digest.ts", "oci", "leaf", false],
    ["config.ts", "leaf", "leaf", true],
    ["log.ts", "leaf", "v1", false],
    ["app.ts", "composition", "v1", true],
    ["main.ts", "composition", "cli", true],
    ["auth/identity.ts", "auth", "perm", false],
    ["perm/roles.ts", "perm", "auth", true],
    ["store/meta/tags.ts", "store", "auth", false],
    ["v1/tag.ts", "v1", "v2", false],
    ["v2/index.ts", "v2", "v1", false],
    ["v1/logs.ts", "v1", "audit", true],
    ["v1/notification.ts", "v1", "notify", false],
    ["audit/registryAudit.ts", "audit", "events", true],
    ["registry/pushManifest.ts", "registry", "events", true],
    ["events/registryEvents.ts", "events", "store", false],
    ["bodyLimit.ts", "composition", "v2", true],
    ["ipAddress.ts", "leaf", "oci", false],
    ["../package.json", "data", "leaf", false],
    ["v1/webConfig.ts", "v1", "data", true],
    ["tls/localCa.ts", "tls", "store", false],
    ["health/checks.ts", "health", "store", true],
    ["health/checks.ts", "health", "registry", false],
  ];
  for (const [file, mod, to, ok] of cases) {
    test(`${file} → ${to}`, () => {
      expect(moduleOf(file)).toBe(mod);
      expect(allowed(mod, to)).toBe(ok);
    });
  }
});

describe("the cycle finder", () => {
  const cases: [string, [string, string][], string[]][] = [
    ["none", [["v1", "perm"], ["perm", "auth"], ["auth", "store"]], []],
    ["two folders", [["auth", "perm"], ["perm", "auth"]], ["auth → perm → auth"]],
    ["three folders, found once", [["store", "audit"], ["audit", "auth"], ["auth", "store"]], ["audit → auth → store → audit"]],
    ["leaf and composition edges are no folder edges", [["leaf", "v1"], ["v1", "leaf"], ["composition", "v1"]], []],
  ];
  for (const [name, pairs, want] of cases) {
    test(name, () => expect(folderCycles(folderGraph(pairs)).map((c) => c.join(" → "))).toEqual(want));
  }
});
