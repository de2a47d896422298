// Quay's tag_glob_csv rule: a tag is mirrored when it matches any of the patterns, as Python's
// fnmatch matches them (`*` any run, `?` one character, `[seq]` / `[!seq]` a set). Pure.

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let set = glob.slice(i + 1, close);
      const negate = set.startsWith("!");
      if (negate) set = set.slice(1);
      re += `[${negate ? "^" : ""}${set.replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

/** Whether `tag` matches one of `globs`. */
export function matchesTagGlobs(tag: string, globs: readonly string[]): boolean {
  return globs.some((g) => {
    let re = cache.get(g);
    if (!re) {
      if (cache.size > 1000) cache.clear();
      re = globToRegExp(g);
      cache.set(g, re);
    }
    return re.test(tag);
  });
}
