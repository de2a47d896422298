import { canonicalRepoName, parseDigest, type Digest } from "../oci";

export { canonicalRepoName };
import type { RepoRow } from "../store/meta/repositories";
import type { V2Context } from "./context";
import { API_VERSION_HEADER, RegistryError, grammarError } from "./errors";

export function v2Headers(extra: Record<string, string> = {}): Record<string, string> {
  return { ...API_VERSION_HEADER, ...extra };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: v2Headers({ "Content-Length": "0", ...headers }) });
}

export function jsonResponse(
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
  contentType = "application/json; charset=utf-8",
): Response {
  const body = JSON.stringify(value);
  return new Response(body, {
    status,
    headers: v2Headers({ "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(body)), ...headers }),
  });
}

/** Parses a digest from the path or query, as the spec's DIGEST_INVALID / UNSUPPORTED. */
export function requireDigest(value: string | null | undefined, what = "digest"): Digest {
  if (!value) throw new RegistryError("DIGEST_INVALID", `${what} is required`);
  const parsed = parseDigest(value);
  if (!parsed.ok) throw grammarError(parsed);
  return parsed.digest;
}

/** The repository, or NAME_UNKNOWN. */
export async function requireRepo(ctx: V2Context, name: string): Promise<RepoRow> {
  return knownRepo(await ctx.stores.repositories.find(canonicalRepoName(name)), name);
}

/** The repository found for `name`, or NAME_UNKNOWN. */
export function knownRepo(repo: RepoRow | undefined, name: string): RepoRow {
  if (!repo) throw new RegistryError("NAME_UNKNOWN", `repository "${name}" is not known to this registry`, { name });
  return repo;
}

/** Parses `n` of a paginated listing; undefined when absent. */
export function pageSize(url: URL, max = 10_000): number | undefined {
  const raw = url.searchParams.get("n");
  if (raw === null || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw new RegistryError("PAGINATION_NUMBER_INVALID", `n must be a non-negative integer, got "${raw}"`);
  return Math.min(Number(raw), max);
}

/** RFC 5988 Link header pointing at the next page. */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
