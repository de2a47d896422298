// Tag patterns of auto-prune and immutability policies: the regular expressions Quay's users write
// (Python `re` syntax), run by a Thompson automaton instead of a backtracking engine. A match costs
// at most (automaton states × tag length) steps whatever the pattern, so no policy can stall a push
// or a prune pass (`(a+)+$`, `(\w*)*x` run in linear time here). Pure.
//
// Supported: literals and escapes, `.`, classes (`[a-z]`, `[^…]`, `\d \w \s \D \W \S`), groups
// (`(…)`, `(?:…)`, `(?P<n>…)`, `(?<n>…)`), `|`, greedy and lazy `* + ? {m} {m,} {m,n} {,n}`,
// anchors `^ $ \A \Z \b \B`, a leading `(?i)`. Refused (an invalid pattern): backreferences,
// lookaround, atomic groups, possessive quantifiers, other flags. The syntax: tagPatternSyntax.ts.
import { isWord, MAX_PATTERN_LENGTH, Parser, TagPatternError, type Assertion, type Node, type Test } from "./tagPatternSyntax";

export { MAX_PATTERN_LENGTH, TagPatternError };

/**
 * Automaton states a pattern may compile to: a match costs at most this many steps a character
 * (about 2 ms for a 128-character tag at the limit; real patterns have a few dozen states).
 */
const MAX_STATES = 512;

/** The automaton: character states move on a matching character, epsilon states branch or assert. */
interface State {
  test?: Test;
  assert?: Assertion;
  /** Where a character state goes; where an epsilon state branches. */
  next: number[];
}

class Compiler {
  readonly states: State[] = [{ next: [] }]; // 0: the match state

  private add(state: State): number {
    if (this.states.length >= MAX_STATES) throw new TagPatternError("pattern is too complex");
    return this.states.push(state) - 1;
  }

  /** The state that matches `node`, then continues at `next` (built back to front). */
  compile(node: Node, next: number): number {
    switch (node.k) {
      case "char":
        return this.add({ test: node.test, next: [next] });
      case "assert":
        return this.add({ assert: node.what, next: [next] });
      case "seq":
        return node.parts.reduceRight((to, part) => this.compile(part, to), next);
      case "alt": {
        const branch = this.add({ next: [] });
        this.states[branch]!.next = node.options.map((o) => this.compile(o, next));
        return branch;
      }
      case "repeat": {
        let to = next;
        if (node.max === Infinity) {
          const loop = this.add({ next: [] });
          this.states[loop]!.next = [this.compile(node.node, loop), next];
          to = loop;
        } else {
          for (let i = node.min; i < node.max; i++) {
            const optional = this.add({ next: [] });
            this.states[optional]!.next = [this.compile(node.node, to), next];
            to = optional;
          }
        }
        for (let i = 0; i < node.min; i++) to = this.compile(node.node, to);
        return to;
      }
    }
  }
}

/** A compiled pattern. `search` is Python's re.search (anywhere in the tag), `fullMatch` re.fullmatch. */
export class TagPattern {
  private readonly edges: number;

  private constructor(
    readonly source: string,
    private readonly states: State[],
    private readonly start: number,
  ) {
    this.edges = states.reduce((sum, s) => sum + s.next.length, 0);
  }

  /** Compiles `source`; throws TagPatternError saying what is wrong with it. */
  static compile(source: string): TagPattern {
    if (source.length > MAX_PATTERN_LENGTH) throw new TagPatternError(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
    const parser = new Parser(source);
    const tree = parser.parse();
    const compiler = new Compiler();
    const start = compiler.compile(tree, 0);
    return new TagPattern(source, compiler.states, start);
  }

  search(text: string): boolean {
    return this.run(text, false);
  }

  fullMatch(text: string): boolean {
    return this.run(text, true);
  }

  private run(text: string, whole: boolean): boolean {
    const n = text.length;
    const states = this.states;
    const size = states.length;
    // Two state lists (this position's, the next one's), a stack, and a mark per state for the
    // list being built: no allocation per character.
    let current = new Int32Array(size);
    let next = new Int32Array(size);
    // A state is pushed once per edge into it at most (and the start once more).
    const stack = new Int32Array(this.edges + 2);
    const seen = new Int32Array(size).fill(-1);
    let count = 0;
    let generation = 0;
    let matched = false;
    const holds = (what: Assertion, pos: number): boolean => {
      if (what === "start") return pos === 0;
      if (what === "end") return pos === n;
      const boundary = (pos > 0 && isWord(text.charCodeAt(pos - 1))) !== (pos < n && isWord(text.charCodeAt(pos)));
      return what === "word" ? boundary : !boundary;
    };
    // Adds `from` and every state reachable from it without reading a character to `into`.
    const close = (into: Int32Array, from: number, pos: number) => {
      let top = 0;
      stack[top++] = from;
      while (top > 0) {
        const id = stack[--top]!;
        if (seen[id] === generation) continue;
        seen[id] = generation;
        if (id === 0) matched = true;
        const s = states[id]!;
        if (s.test) into[count++] = id;
        else if (!s.assert || holds(s.assert, pos)) for (let i = s.next.length - 1; i >= 0; i--) stack[top++] = s.next[i]!;
      }
    };
    close(current, this.start, 0);
    let live = count;
    for (let pos = 0; ; pos++) {
      if (matched && (!whole || pos === n)) return true;
      if (pos === n || (whole && live === 0)) return false;
      const c = text.charCodeAt(pos);
      count = 0;
      matched = false;
      generation++;
      for (let i = 0; i < live; i++) {
        const s = states[current[i]!]!;
        if (s.test!(c)) close(next, s.next[0]!, pos + 1);
      }
      if (!whole) close(next, this.start, pos + 1);
      [current, next] = [next, current];
      live = count;
    }
  }
}

const compiled = new Map<string, TagPattern>();

/** A compiled pattern, remembered (policies are few; the same ones run for every push). */
export function tagPattern(source: string): TagPattern {
  let p = compiled.get(source);
  if (!p) {
    p = TagPattern.compile(source);
    if (compiled.size >= 256) compiled.delete(compiled.keys().next().value!);
    compiled.set(source, p);
  }
  return p;
}
