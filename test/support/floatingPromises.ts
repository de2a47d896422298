// Finds promises nobody waits for, with the TypeScript checker (the type checker alone accepts
// them): a statement whose value is a Promise (`stores.tags.delete(…);`), a promise-returning
// function handed where a void-returning one is expected (`list.forEach((t) => stores.tags.delete(t))`,
// `setTimeout(async () => …)`), and a Promise where a value is read as something else (a
// condition, `!p`, a template `${p}`, a comparison, a spread, an argument typed any or a bare
// type parameter as Object.assign's, one or an array of them as an untyped object's property);
// and an async `db.transaction(…)` body, which bun:sqlite commits at its first await. A promise is handled when it is
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
    const arrayOfPromises = (e: ts.Expression) => {
      const t = checker.getTypeAtLocation(e);
      if (!checker.isArrayType(t)) return false;
      const [element] = checker.getTypeArguments(t as ts.TypeReference);
      return element !== undefined && (element.isUnion() ? element.types.every(isThenable) : isThenable(element));
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
      } else if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments?.length) {
        const signature = checker.getResolvedSignature(node);
        const declaration = signature?.getDeclaration();
        node.arguments.forEach((arg, i) => {
          if (!declaration || !alwaysPromise(arg) || ts.isSpreadElement(arg)) return;
          // expect(p).rejects / .resolves: the test waits for it
          if (ts.isPropertyAccessExpression(node.parent) && ["rejects", "resolves"].includes(node.parent.name.text)) return;
          const param = declaration.parameters[Math.min(i, declaration.parameters.length - 1)];
          if (param && takesAnything(param, declaration)) report(arg, "a Promise passed where any value is taken (Object.assign, JSON.stringify, …)");
        });
      }
      // db.transaction(body): bun:sqlite commits an async body at its first await (ARCHITECTURE, Storage).
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "transaction") {
        const body = node.arguments[0];
        if (body && (ts.isArrowFunction(body) || ts.isFunctionExpression(body)) && (returnsThenable(body) || containsAwait(body.body)) && !declaredAsync(checker, node)) {
          report(body, "an asynchronous transaction body (bun:sqlite commits at its first await): keep it synchronous");
        }
      }
      if (ts.isPropertyAssignment(node) && arrayOfPromises(node.initializer)) {
        report(node, "an array of Promises as a value (a JSON answer shows {}): Promise.all it");
      }
      // A Promise as a property of an object nobody typed (a JSON answer, a view): forgotten.
      if (ts.isPropertyAssignment(node) && alwaysPromise(node.initializer)) {
        const expected = checker.getContextualType(node.initializer);
        if (!expected || !isThenable(expected)) report(node, "a Promise as a property value: await it");
      }
      if (ts.isBinaryExpression(node)) {
        const op = node.operatorToken.kind;
        const comparison = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
        const logical = op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken;
        // Two promises compared are compared by identity, on purpose.
        const againstValue = comparison && (alwaysPromise(node.left) ? !promiseValued(node.right) : alwaysPromise(node.right) && !promiseValued(node.left));
        if (againstValue || (logical && alwaysPromise(node.left))) {
          report(node, "a Promise compared or tested (always defined)");
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

// A parameter typed any, unknown, object or {}, or a bare type parameter of the function itself
// (not of its class: a Map<K, Promise<V>> stores promises on purpose): a Promise there is
// almost always a value someone forgot to await.
/**
 * Whether the called `transaction` declares an asynchronous body (`(tx) => Promise<T>`, as
 * PostgreSQL's drizzle transaction does): only bun:sqlite's synchronous one must not get one.
 */
function declaredAsync(checker: ts.TypeChecker, call: ts.CallExpression): boolean {
  const declared = checker.getResolvedSignature(call)?.getDeclaration()?.parameters[0]?.type;
  if (!declared || !ts.isFunctionTypeNode(declared)) return false;
  const returned = declared.type;
  return ts.isTypeReferenceNode(returned) && ts.isIdentifier(returned.typeName) && ["Promise", "PromiseLike"].includes(returned.typeName.text);
}

function takesAnything(param: ts.ParameterDeclaration, fn: ts.SignatureDeclaration): boolean {
  let t = param.type;
  if (!t) return false;
  if (param.dotDotDotToken && ts.isArrayTypeNode(t)) t = t.elementType;
  if (t.kind === ts.SyntaxKind.AnyKeyword || t.kind === ts.SyntaxKind.UnknownKeyword || t.kind === ts.SyntaxKind.ObjectKeyword) return true;
  if (ts.isTypeLiteralNode(t) && t.members.length === 0) return true;
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && !t.typeArguments) {
    const name = t.typeName.text;
    // A type parameter takes anything unless its constraint says what (`Q extends Query`).
    return (fn.typeParameters ?? []).some((tp) => tp.name.text === name && (!tp.constraint || anyLike(tp.constraint)));
  }
  return false;
}

function anyLike(t: ts.TypeNode): boolean {
  return t.kind === ts.SyntaxKind.AnyKeyword || t.kind === ts.SyntaxKind.UnknownKeyword || t.kind === ts.SyntaxKind.ObjectKeyword || (ts.isTypeLiteralNode(t) && t.members.length === 0);
}

/** An await in this function body, not counting nested functions. */
function containsAwait(node: ts.Node): boolean {
  if (ts.isAwaitExpression(node)) return true;
  if (ts.isFunctionLike(node)) return false;
  return ts.forEachChild(node, containsAwait) ?? false;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function conditionOf(node: ts.IfStatement | ts.WhileStatement | ts.ConditionalExpression): ts.Expression {
  return ts.isConditionalExpression(node) ? node.condition : node.expression;
}
