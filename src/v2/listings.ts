import { OCI_INDEX, parseDigest } from "../oci";
import type { V2Context } from "./context";
import { RegistryError, grammarError } from "./errors";
import { jsonResponse, nextLink, pageSize, requireRepo } from "./respond";

/** GET tags/list: lexical order, `n` and `last`, a Link header when more remain. */
export async function listTags(ctx: V2Context, url: URL, name: string): Promise<Response> {
  const repo = await requireRepo(ctx, name);
  const n = pageSize(url);
  const last = url.searchParams.get("last") ?? undefined;
  const tags = await ctx.stores.tags.list(repo.id, last, n === undefined ? undefined : n + 1);
  const headers: Record<string, string> = {};
  if (n !== undefined && tags.length > n) {
    tags.length = n;
    // n=0 asks for an empty list and no Link (distribution-spec v1.1, "Listing Tags").
    if (n > 0) headers.Link = nextLink(`/v2/${name}/tags/list`, n, tags[n - 1]!);
  }
  return jsonResponse({ name, tags }, 200, headers);
}

/** GET _catalog: only repositories the caller may see. */
export async function listCatalog(ctx: V2Context, url: URL, canSee: (repo: string) => boolean | Promise<boolean>): Promise<Response> {
  const n = pageSize(url);
  const last = url.searchParams.get("last") ?? undefined;
  const visible = await ctx.stores.repositories.list(last, n === undefined ? undefined : n + 1, canSee);
  const headers: Record<string, string> = {};
  if (n !== undefined && visible.length > n) {
    visible.length = n;
    if (n > 0) headers.Link = nextLink("/v2/_catalog", n, visible[n - 1]!);
  }
  return jsonResponse({ repositories: visible }, 200, headers);
}

/** GET referrers/<digest>: an image index of the manifests whose subject is the digest. */
export async function listReferrers(ctx: V2Context, url: URL, name: string, rawDigest: string): Promise<Response> {
  const parsed = parseDigest(rawDigest);
  if (!parsed.ok) throw grammarError(parsed);
  const repo = await requireRepo(ctx, name);
  // An empty artifactType (`?artifactType=`) filters nothing.
  const artifactType = url.searchParams.get("artifactType") || null;
  const rows = (await ctx.stores.manifests.referrers(repo.id, parsed.digest.value)).filter((r) => artifactType === null || r.artifactType === artifactType);
  const manifests = rows.map((r) => ({
    mediaType: r.mediaType,
    digest: r.digest,
    size: r.size,
    ...(r.artifactType ? { artifactType: r.artifactType } : {}),
    ...(r.annotations ? { annotations: JSON.parse(r.annotations) } : {}),
  }));
  const headers: Record<string, string> = artifactType !== null ? { "OCI-Filters-Applied": "artifactType" } : {};
  return jsonResponse({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, 200, headers, OCI_INDEX);
}
