// The WWW-Authenticate challenge a registry answers a 401 with (RFC 7235 syntax; Docker's token
// flow: `Bearer realm="…",service="…",scope="…"`). Pure: no I/O.

export type Challenge = { scheme: "bearer"; realm: string; service?: string; scope?: string } | { scheme: "basic"; realm?: string };

/** auth-param values: a token or a quoted string with backslash escapes. */
const PARAM = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/y;

/** The parameters of one challenge, starting at `text[from]`; stops at the next scheme name. */
function params(text: string, from: number): { values: Record<string, string>; end: number } {
  const values: Record<string, string> = {};
  let at = from;
  for (;;) {
    PARAM.lastIndex = at;
    const m = PARAM.exec(text);
    if (!m) return { values, end: at };
    values[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!;
    at = PARAM.lastIndex;
  }
}

const TOKEN68 = /[A-Za-z0-9._~+\/-]+=*\s*(?:,|$)/y;

/**
 * The challenges in a WWW-Authenticate value, in order; unknown schemes are skipped, and a Bearer
 * challenge without a realm (nowhere to ask for a token) is not one.
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const found: Challenge[] = [];
  const SCHEME = /\s*,?\s*([A-Za-z][A-Za-z0-9+.-]*)(?:\s+|$)/y;
  let at = 0;
  while (at < header.length) {
    SCHEME.lastIndex = at;
    const m = SCHEME.exec(header);
    if (!m) break;
    let { values, end } = params(header, SCHEME.lastIndex);
    if (end === SCHEME.lastIndex) {
      // No parameters: a token68 credential (Negotiate's), skipped.
      TOKEN68.lastIndex = end;
      if (TOKEN68.exec(header)) end = TOKEN68.lastIndex;
    }
    if (end <= at) break;
    at = end;
    const scheme = m[1]!.toLowerCase();
    if (scheme === "bearer" && values.realm) found.push({ scheme: "bearer", realm: values.realm, service: values.service, scope: values.scope });
    if (scheme === "basic") found.push({ scheme: "basic", realm: values.realm });
  }
  return found;
}
