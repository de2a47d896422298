// Repository names hold slashes (`ns/team/app`), which Elysia's router cannot capture in one
// parameter. Quay anchors on the suffixes its routes know; so do we: from the API v1 route table,
// every `<prefix>:repository<suffix>` route takes part, and a request path is matched against
// those suffixes (the most specific first). The match names the route and its parameters, with
// `repository` the whole name; the root app's front door then runs that route (src/app.ts).
import { isValidRepoName } from "../oci";

const PARAM = ":repository";

interface SuffixMatcher<R> {
  route: R;
  pattern: RegExp;
  /** The suffix's parameter names, in the order the pattern captures them (after the name). */
  names: string[];
  literalLength: number;
}

/** A repository route found for a request: the route and its parameters. */
export interface RepositoryRouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const isRepo = (name: string) => name.includes("/") && isValidRepoName(name);

function matcherFor<R>(route: R, suffix: string): SuffixMatcher<R> {
  const segments = suffix.replace(/\/+$/, "").split("/").slice(1);
  const body = segments.map((seg) => (seg.startsWith(":") ? "/([^/]+)" : `/${escape(seg)}`)).join("");
  return {
    route,
    // The name is greedy: tags and user names never hold slashes, so the suffix takes the end.
    pattern: new RegExp(`^(.+)${body}/?$`),
    names: segments.filter((seg) => seg.startsWith(":")).map((seg) => seg.slice(1)),
    literalLength: segments.filter((seg) => !seg.startsWith(":")).join("/").length,
  };
}

/** A path segment as the router decodes it; undefined when its escapes are malformed. */
function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * From the routes, a function finding the route for a request whose repository name holds
 * slashes (undefined: not such a request; the router takes it as it is). Per method: `GET
 * ns/group/tag/inner` is the repository `ns/group/tag/inner`, because no GET route ends in
 * `/tag/:tag`, while `PUT` on the same path is the tag `inner` of `ns/group`. HEAD looks for GET's.
 */
export function repositoryRouteResolver<R extends { method: string; path: string }>(
  routes: Iterable<R>,
): (method: string, path: string) => RepositoryRouteMatch<R> | undefined {
  // prefix → method → matchers
  const byPrefix = new Map<string, Map<string, SuffixMatcher<R>[]>>();
  // Routes without parameters win over a repository name, as in Werkzeug (GET /api/v1/repository/mirror/health).
  const literal = new Set<string>();
  for (const route of routes) {
    const { method, path } = route;
    if (!path.includes(":")) literal.add(`${method} ${path.replace(/\/+$/, "")}`);
    const at = path.indexOf(PARAM);
    if (at < 0 || path.slice(0, at).includes(":")) continue;
    const prefix = path.slice(0, at);
    const byMethod = byPrefix.get(prefix) ?? new Map<string, SuffixMatcher<R>[]>();
    byPrefix.set(prefix, byMethod);
    byMethod.set(method, [...(byMethod.get(method) ?? []), matcherFor(route, path.slice(at + PARAM.length))]);
  }
  for (const byMethod of byPrefix.values()) for (const matchers of byMethod.values()) matchers.sort((a, b) => b.literalLength - a.literalLength);

  return (requestMethod, path) => {
    const method = requestMethod === "HEAD" ? "GET" : requestMethod;
    for (const [prefix, byMethod] of byPrefix) {
      if (!path.startsWith(prefix)) continue;
      const matchers = byMethod.get(method);
      if (!matchers) continue;
      if (literal.has(`${method} ${path.replace(/\/+$/, "")}`)) return undefined;
      const rest = path.slice(prefix.length);
      // One segment (or an already encoded name) is the router's.
      const firstSlash = rest.indexOf("/");
      if (firstSlash < 0 || /%2f/i.test(rest.slice(0, firstSlash))) continue;
      for (const m of matchers) {
        const found = m.pattern.exec(rest);
        if (!found || !isRepo(found[1]!)) continue;
        const params: Record<string, string> = { repository: found[1]! };
        const values = found.slice(2).map(decodeSegment);
        if (values.some((v) => v === undefined)) return undefined;
        m.names.forEach((name, i) => (params[name] = values[i]!));
        return { route: m.route, params };
      }
    }
    return undefined;
  };
}
