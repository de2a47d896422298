// The `Link` header registries page `tags/list` and `_catalog` with (RFC 8288):
// `</v2/ns/name/tags/list?last=x&n=100>; rel="next"`. Pure: no I/O.

/** The rel="next" target resolved against the request's URL, or undefined when there is none. */
export function nextLink(header: string | null | undefined, base: string): string | undefined {
  if (!header) return undefined;
  const LINK = /<([^>]*)>((?:\s*;\s*[^;,]+?(?:=(?:"[^"]*"|[^;,]*))?)*)\s*(?:,|$)/g;
  for (const m of header.matchAll(LINK)) {
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))/i.exec(m[2] ?? "");
    const rel = rels ? (rels[1] ?? rels[2] ?? "") : "";
    if (!rel.toLowerCase().split(/\s+/).includes("next")) continue;
    try {
      return new URL(m[1]!, base).href;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
