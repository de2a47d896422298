// Bounds on untrusted JSON values (image configs, manifests, request bodies). JSON.parse copes
// with any nesting, but every recursive walk afterwards (JSON.stringify of a response,
// structuredClone, a naive tree walk) overflows the stack on a value nested some 100 000 deep:
// check the depth iteratively before such a value is kept.

/**
 * Whether `value` nests at most `maxDepth` arrays or objects deep (a scalar is depth 0, `[1]`
 * and `{"a":1}` are 1). Iterative, and it stops at the first container past the bound.
 */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth + 1 > maxDepth) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push({ v: child, depth: depth + 1 });
    }
  }
  return true;
}
