// Finds promises nobody waits for, with the TypeScript checker (the type checker alone accepts
// them): a statement whose value is a Promise (`stores.tags.delete(…);`), a promise-returning
// function handed where a void-returning one is expected (`list.forEach((t) => stores.tags.delete(t))`,
// `setTimeout(async () => …)`), and a Promise where a value is read as something else (a
// condition, `!p`, a template `${p}`, a comparison, a spread). A promise is handled when it is
// awaited, returned, stored, passed on, or explicitly dropped with `void`.
import ts from "typescript";

export interface FloatingPromise {
  file: string;
  line: number;
  text: string;
  why: string;
}

/** One Program over `rootFiles` with the project's compiler options; the findings in `isChecked` files. */
export function findFloatingPromises(
  tsconfigPath: string,
  rootFiles: string[],
  isChecked: (fileName: string) => boolean,
  withProgram?: (program: ts.Program) => void,
): FloatingPromise[] {
  const config = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ts.sys.resolvePath(tsconfigPath + "/.."));
  const program = ts.createProgram(rootFiles, { ...parsed.options, noEmit: true });
  withProgram?.(program);
  const checker = program.getTypeChecker();
  const found: FloatingPromise[] = [];

  const isThenable = (type: ts.Type): boolean => {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
    if (type.isUnion()) return type.types.some(isThenable);
    const then = type.getProperty("then");
    if (!then) return false;
    const thenType = checker.getTypeOfSymbol(then);
    return thenType.getCallSignatures().length > 0;
  };
  const returnsThenable = (node: ts.Expression): boolean =>
    checker
      .getTypeAtLocation(node)
      .getCallSignatures()
      .some((s) => isThenable(s.getReturnType()));
  // A contextual function type every one of whose signatures returns void (not Promise, any, unknown).
  const expectsVoidReturn = (node: ts.Expression): boolean => {
    const ctx = checker.getContextualType(node);
    if (!ctx) return false;
    const parts = ctx.isUnion() ? ctx.types : [ctx];
    const sigs = parts.flatMap((t) => t.getCallSignatures());
    return sigs.length > 0 && sigs.every((s) => s.getReturnType().flags & ts.TypeFlags.Void);
  };

  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !isChecked(sf.fileName)) continue;
    const report = (node: ts.Node, why: string) => {
      const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      found.push({ file: sf.fileName, line: line + 1, text: node.getText(sf).split("\n")[0]!.slice(0, 120), why });
    };
    const promiseValued = (e: ts.Expression) => isThenable(checker.getTypeAtLocation(e));
    // Tested or compared as a value: only a type that is a Promise whatever happens (a
    // `Promise | undefined` tested for presence is fine).
    const alwaysPromise = (e: ts.Expression) => {
      const t = checker.getTypeAtLocation(e);
      return t.isUnion() ? t.types.every(isThenable) : isThenable(t);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        const e = skipParens(node.expression);
        const handled =
          ts.isVoidExpression(e) ||
          ts.isAwaitExpression(e) ||
          (ts.isBinaryExpression(e) && e.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && e.operatorToken.kind <= ts.SyntaxKind.LastAssignment);
        if (!handled && promiseValued(e)) report(node, "a Promise dropped (await it, return it, or `void` it)");
      } else if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && returnsThenable(node) && expectsVoidReturn(node)) {
        report(node, "a promise-returning function where a void one is expected (its promise is dropped)");
      } else if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken && alwaysPromise(node.operand)) {
        report(node, "`!` of a Promise (always false)");
      } else if (ts.isTemplateSpan(node) && promiseValued(node.expression)) {
        report(node.expression, "a Promise in a template");
      } else if (ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) {
        if (promiseValued(node.expression)) report(node, "a spread Promise");
      } else if ((ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isConditionalExpression(node)) && alwaysPromise(conditionOf(node))) {
        report(conditionOf(node), "a Promise as a condition (always true)");
      } else if (ts.isBinaryExpression(node)) {
        const op = node.operatorToken.kind;
        const comparison = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
        const logical = op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken;
        if ((comparison || logical) && (alwaysPromise(node.left) || (comparison && alwaysPromise(node.right)))) {
          report(node, "a Promise compared or tested (always defined)");
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function conditionOf(node: ts.IfStatement | ts.WhileStatement | ts.ConditionalExpression): ts.Expression {
  return ts.isConditionalExpression(node) ? node.condition : node.expression;
}
