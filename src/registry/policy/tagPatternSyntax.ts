// The syntax of policy tag patterns: Python's regular expressions (the subset tagPattern.ts lists)
// parsed into a tree of character tests, sequences, alternatives, repeats and assertions. Pure.

export const MAX_PATTERN_LENGTH = 256;
const MAX_REPEAT = 1000;

export type Test = (c: number) => boolean;
export type Assertion = "start" | "end" | "word" | "notWord";
export type Node =
  | { k: "char"; test: Test }
  | { k: "seq"; parts: Node[] }
  | { k: "alt"; options: Node[] }
  | { k: "repeat"; node: Node; min: number; max: number }
  | { k: "assert"; what: Assertion };

export class TagPatternError extends Error {}

const isDigit: Test = (c) => c >= 48 && c <= 57;
export const isWord: Test = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace: Test = (c) => c === 32 || (c >= 9 && c <= 13);
const not =
  (t: Test): Test =>
  (c) =>
    !t(c);
const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
const upper = (c: number) => (c >= 97 && c <= 122 ? c - 32 : c);
const CLASS_ESCAPES: Record<string, Test> = { d: isDigit, D: not(isDigit), w: isWord, W: not(isWord), s: isSpace, S: not(isSpace) };
const CONTROL_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, a: 7, "0": 0 };
const ASSERT_ESCAPES: Record<string, Assertion> = { A: "start", Z: "end", b: "word", B: "notWord" };

/** Parses Python's regular-expression syntax (the subset above) into a tree. */
export class Parser {
  private pos = 0;
  private ignoreCase = false;

  constructor(private readonly src: string) {}

  parse(): Node {
    if (this.src.startsWith("(?i)")) {
      this.ignoreCase = true;
      this.pos = 4;
    }
    const node = this.alternation();
    if (this.pos < this.src.length) this.fail("unbalanced parenthesis");
    return node;
  }

  private fail(what: string): never {
    throw new TagPatternError(`${what} at position ${this.pos}`);
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === "|") {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { k: "alt", options };
  }

  private sequence(): Node {
    const parts: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== "|" && c !== ")"; c = this.peek()) {
      const atom = this.atom();
      parts.push(this.quantified(atom));
    }
    return { k: "seq", parts };
  }

  private quantified(atom: Node): Node {
    const bounds = this.quantifier();
    if (!bounds) return atom;
    if (atom.k === "assert") this.fail("nothing to repeat");
    if (this.peek() === "?") this.pos++; // lazy: the same strings match
    else if (this.peek() === "+") this.fail("possessive quantifiers are not supported");
    if (this.quantifierAhead()) this.fail("multiple repeat");
    return { k: "repeat", node: atom, min: bounds[0], max: bounds[1] };
  }

  private quantifierAhead(): boolean {
    const c = this.peek();
    return c === "*" || c === "+" || c === "?" || (c === "{" && this.braces() !== undefined);
  }

  /** `{m}`, `{m,}`, `{,n}`, `{m,n}` at the cursor (without moving); anything else is a literal `{`. */
  private braces(): { min: number; max: number; length: number } | undefined {
    const m = /^\{(\d*)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 16));
    if (!m || (m[1] === "" && m[2] === undefined)) return undefined;
    const min = m[1] === "" ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    return { min, max, length: m[0].length };
  }

  private quantifier(): [number, number] | undefined {
    const c = this.peek();
    if (c === "*" || c === "+" || c === "?") {
      this.pos++;
      return c === "*" ? [0, Infinity] : c === "+" ? [1, Infinity] : [0, 1];
    }
    if (c !== "{") return undefined;
    const b = this.braces();
    if (!b) return undefined;
    if (b.min > b.max) this.fail("min repeat greater than max repeat");
    if (b.min > MAX_REPEAT || (b.max !== Infinity && b.max > MAX_REPEAT)) this.fail(`repeat count over ${MAX_REPEAT}`);
    this.pos += b.length;
    return [b.min, b.max];
  }

  private atom(): Node {
    const c = this.src[this.pos++]!;
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return this.charClass();
      case ".":
        return { k: "char", test: (x) => x !== 10 };
      case "^":
        return { k: "assert", what: "start" };
      case "$":
        return { k: "assert", what: "end" };
      case "\\":
        return this.escape();
      case "*":
      case "+":
      case "?":
        this.pos--;
        return this.fail("nothing to repeat");
      case "{":
        this.pos--;
        if (this.braces()) this.fail("nothing to repeat");
        this.pos++;
        return this.literal(c.charCodeAt(0));
      default:
        return this.literal(c.charCodeAt(0));
    }
  }

  private literal(code: number): Node {
    if (!this.ignoreCase) return { k: "char", test: (x) => x === code };
    const folded = lower(code);
    return { k: "char", test: (x) => lower(x) === folded };
  }

  private group(): Node {
    if (this.peek() === "?") {
      const rest = this.src.slice(this.pos + 1);
      const named = /^(?:P?<([A-Za-z_]\w*)>)/.exec(rest);
      if (rest.startsWith(":")) this.pos += 2;
      else if (named) this.pos += 1 + named[0].length;
      else if (rest.startsWith("#")) {
        const end = this.src.indexOf(")", this.pos);
        if (end < 0) this.fail("missing ), unterminated comment");
        this.pos = end + 1;
        return { k: "seq", parts: [] };
      } else if (/^(=|!|<=|<!)/.test(rest)) this.fail("lookaround is not supported");
      else if (rest.startsWith("P=")) this.fail("backreferences are not supported");
      else this.fail("unsupported group or flag");
    }
    const inner = this.alternation();
    if (this.peek() !== ")") this.fail("missing ), unterminated subpattern");
    this.pos++;
    return inner;
  }

  /** An escape outside a class: a class, an assertion or one character. */
  private escape(): Node {
    const c = this.src[this.pos];
    if (c !== undefined && ASSERT_ESCAPES[c]) {
      this.pos++;
      return { k: "assert", what: ASSERT_ESCAPES[c]! };
    }
    if (c !== undefined && CLASS_ESCAPES[c]) {
      this.pos++;
      return { k: "char", test: CLASS_ESCAPES[c]! };
    }
    if (c !== undefined && c >= "1" && c <= "9") this.fail("backreferences are not supported");
    return this.literal(this.escapedChar());
  }

  /** The character an escape stands for (the backslash already read). */
  private escapedChar(): number {
    const c = this.src[this.pos];
    if (c === undefined) this.fail("bad escape (end of pattern)");
    this.pos++;
    if (CONTROL_ESCAPES[c] !== undefined) return CONTROL_ESCAPES[c]!;
    if (c === "x" || c === "u") {
      const digits = c === "x" ? 2 : 4;
      const hex = this.src.slice(this.pos, this.pos + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) this.fail(`incomplete escape \\${c}`);
      this.pos += digits;
      return parseInt(hex, 16);
    }
    if (/[A-Za-z0-9]/.test(c)) this.fail(`bad escape \\${c}`);
    return c.charCodeAt(0);
  }

  private charClass(): Node {
    const negate = this.peek() === "^";
    if (negate) this.pos++;
    const tests: Test[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("unterminated character set");
      if (c === "]" && !first) break;
      first = false;
      const low = this.classItem();
      if (typeof low !== "number") {
        tests.push(low);
        continue;
      }
      if (this.peek() === "-" && this.src[this.pos + 1] !== "]" && this.src[this.pos + 1] !== undefined) {
        this.pos++;
        const high = this.classItem();
        if (typeof high !== "number" || high < low) this.fail("bad character range");
        tests.push((x) => x >= low && x <= high);
      } else tests.push((x) => x === low);
    }
    this.pos++;
    // Case folding applies to the members, before a negation (as in Python: `(?i)[^a]` refuses `A`).
    const member: Test = (x) => tests.some((t) => t(x));
    const inSet: Test = this.ignoreCase ? (x) => member(x) || member(lower(x)) || member(upper(x)) : member;
    return { k: "char", test: negate ? (x) => !inSet(x) : inSet };
  }

  /** One character (a code) or a class escape inside `[…]`. */
  private classItem(): number | Test {
    const c = this.src[this.pos++]!;
    if (c !== "\\") return c.charCodeAt(0);
    const e = this.peek();
    if (e !== undefined && CLASS_ESCAPES[e]) {
      this.pos++;
      return CLASS_ESCAPES[e]!;
    }
    if (e === "b") {
      this.pos++;
      return 8;
    }
    return this.escapedChar();
  }
}
