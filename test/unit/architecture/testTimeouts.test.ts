// bunfig.toml sets the one test timeout. A file that calls setDefaultTimeout, or a test or hook
// given a shorter timeout, contradicts it silently: on a loaded machine that test fails first,
// for no reason its reader can see. A longer timeout is allowed (a multi-GiB transfer); a shorter
// one only with a comment on its line, or just above the call, saying why.
import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

const ROOT = resolve(import.meta.dir, "../../..");
const TEST_DIR = join(ROOT, "test");
/** Calls whose last numeric argument is a timeout in bun:test. */
const TIMED_CALLS = new Set(["test", "it", "describe", "beforeAll", "afterAll", "beforeEach", "afterEach"]);

export function bunfigTimeout(toml: string): number {
  const match = toml.match(/^\s*timeout\s*=\s*([\d_]+)/m);
  if (!match) throw new Error("bunfig.toml sets no [test] timeout");
  return Number(match[1]!.replaceAll("_", ""));
}

export interface TimeoutFinding {
  line: number;
  what: string;
}

/** The name a call is made by: `test`, `test.each(…)` → test, `describe.skip` → describe. */
function calleeName(expr: ts.Expression): string | undefined {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return calleeName(expr.expression);
  if (ts.isCallExpression(expr)) return calleeName(expr.expression);
  return undefined;
}

/** A timeout argument: a number, or `{ timeout: n }`. */
function timeoutOf(arg: ts.Expression): number | undefined {
  if (ts.isNumericLiteral(arg)) return Number(arg.text);
  if (ts.isObjectLiteralExpression(arg)) {
    for (const p of arg.properties) {
      if (ts.isPropertyAssignment(p) && p.name.getText() === "timeout" && ts.isNumericLiteral(p.initializer)) return Number(p.initializer.text);
    }
  }
  return undefined;
}

function hasComment(text: string, from: number): boolean {
  return /\/\/|\/\*/.test(text.slice(from, text.indexOf("\n", from) < 0 ? undefined : text.indexOf("\n", from)));
}

/** setDefaultTimeout calls, and timeouts below `limit` with no comment saying why, in one file's source. */
export function timeoutFindings(fileName: string, text: string, limit: number): TimeoutFinding[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: TimeoutFinding[] = [];
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node.expression);
      if (name === "setDefaultTimeout") found.push({ line: lineOf(node.getStart()), what: "setDefaultTimeout: bunfig.toml sets the timeout" });
      else if (name && TIMED_CALLS.has(name) && node.arguments.length >= 2) {
        const last = node.arguments[node.arguments.length - 1]!;
        const ms = timeoutOf(last);
        if (ms !== undefined && ms < limit) {
          const lineStart = text.lastIndexOf("\n", last.getStart()) + 1;
          const explained = hasComment(text, lineStart) || ts.getLeadingCommentRanges(text, node.getFullStart())?.length;
          if (!explained) found.push({ line: lineOf(last.getStart()), what: `${name}(…) with a ${ms} ms timeout, below bunfig's ${limit} ms, and no comment saying why` });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("test timeouts", () => {
  const limit = bunfigTimeout(readFileSync(join(ROOT, "bunfig.toml"), "utf8"));

  test("the checker finds setDefaultTimeout and short unexplained timeouts, and only those", () => {
    const src = [
      'import { setDefaultTimeout, test } from "bun:test";',
      "setDefaultTimeout(60_000);",
      "test('short', async () => {}, 5_000);",
      "test('short object', async () => {}, { timeout: 1000 });",
      "test.each([1])('each %d', async () => {}, 2000);",
      "beforeAll(async () => {}, 30_000);",
      "test('long', async () => {}, 300_000);",
      "test('explained', async () => {",
      "}, 1_000); // a hung upload must fail fast here: the test is about the stall cutting it off",
      "// The server must answer within a second: a slower answer is the bug.",
      "test('explained above', async () => {}, 1_000);",
      "setInterval(() => {}, 300);",
    ].join("\n");
    expect(timeoutFindings("sample.test.ts", src, 120_000).map((f) => f.line)).toEqual([2, 3, 4, 5, 6]);
  });

  test("no test file contradicts bunfig.toml's timeout", () => {
    const findings: string[] = [];
    for (const file of new Glob("**/*.test.ts").scanSync(TEST_DIR)) {
      const path = join(TEST_DIR, file);
      for (const f of timeoutFindings(path, readFileSync(path, "utf8"), limit)) findings.push(`${relative(ROOT, path)}:${f.line}: ${f.what}`);
    }
    expect(findings).toEqual([]);
  });
});
