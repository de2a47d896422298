// Repository names hold slashes (`ns/team/app`), which a router cannot capture in one parameter.
// Quay anchors on the suffixes its routes know; so do we: the API v1 route table gives every
// `<prefix>:repository<suffix>` route, and a request path is matched against those
// suffixes (the most specific first) and rewritten with the name's slashes encoded, so the
// router then finds the route with `params.repository` = the whole name.
import { isValidRepoName } from "../oci";

const PARAM = ":repository";

interface SuffixMatcher {
  pattern: RegExp;
  literalLength: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const isRepo = (name: string) => name.includes("/") && isValidRepoName(name);

function matcherFor(suffix: string): SuffixMatcher {
  const segments = suffix.replace(/\/+$/, "").split("/").slice(1);
  const body = segments.map((seg) => (seg.startsWith(":") ? "/[^/]+" : `/${escape(seg)}`)).join("");
  return {
    // The name is greedy: tags and user names never hold slashes, so the suffix takes the end.
    pattern: new RegExp(`^(.+)${body}/?$`),
    literalLength: segments.filter((seg) => !seg.startsWith(":")).join("/").length,
  };
}

/**
 * From the routes, a function giving the routable URL for a request (undefined: leave it).
 * Every route with a `:repository` parameter after a literal prefix takes part (`/api/v1/repository/`,
 * `/api/v1/user/starred/`). Per method: `GET ns/group/tag/inner` is the repository
 * `ns/group/tag/inner`, because no GET route ends in `/tag/:tag`, while `PUT` on the same path is
 * the tag `inner` of `ns/group`.
 */
export function repositoryPathRewriter(routes: Iterable<{ method: string; path: string }>): (method: string, url: string) => string | undefined {
  // prefix → method → suffixes
  const suffixes = new Map<string, Map<string, Set<string>>>();
  // Routes without parameters win over a repository name, as in Werkzeug (GET /api/v1/repository/mirror/health).
  const literal = new Set<string>();
  for (const { method, path } of routes) {
    if (!path.includes(":")) literal.add(`${method} ${path.replace(/\/+$/, "")}`);
    const at = path.indexOf(PARAM);
    if (at < 0 || path.slice(0, at).includes(":")) continue;
    const prefix = path.slice(0, at);
    const byMethod = suffixes.get(prefix) ?? new Map<string, Set<string>>();
    suffixes.set(prefix, byMethod);
    if (!byMethod.has(method)) byMethod.set(method, new Set());
    byMethod.get(method)!.add(path.slice(at + PARAM.length));
  }
  const groups = [...suffixes].map(([prefix, byMethod]) => ({
    prefix,
    byMethod: new Map([...byMethod].map(([method, set]) => [method, [...set].map(matcherFor).sort((a, b) => b.literalLength - a.literalLength)])),
  }));
  return (method, url) => {
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    for (const { prefix, byMethod } of groups) {
      if (!url.startsWith(prefix, pathStart)) continue;
      const matchers = byMethod.get(method === "HEAD" ? "GET" : method);
      if (!matchers) continue;
      const start = pathStart + prefix.length;
      const query = url.indexOf("?", start);
      const rest = url.slice(start, query < 0 ? undefined : query);
      if (literal.has(`${method === "HEAD" ? "GET" : method} ${(prefix + rest).replace(/\/+$/, "")}`)) return undefined;
      const firstSlash = rest.indexOf("/");
      // One segment (or an already encoded name) routes as it is.
      if (firstSlash < 0 || /%2f/i.test(rest.slice(0, firstSlash))) continue;
      for (const m of matchers) {
        const found = m.pattern.exec(rest);
        if (!found || !isRepo(found[1]!)) continue;
        const name = found[1]!;
        return url.slice(0, start) + name.replaceAll("/", "%2F") + rest.slice(name.length) + (query < 0 ? "" : url.slice(query));
      }
    }
    return undefined;
  };
}
