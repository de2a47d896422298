import { parseRangeHeader } from "../oci";
import type { V2Context } from "./context";
import { RegistryError, refusalError } from "./errors";
import { requestActor } from "./actor";
import { pullThrough } from "./proxyCache";
import { emptyResponse, requireDigest, requireRepo, v2Headers } from "./respond";

function blobUnknown(digest: string): RegistryError {
  return new RegistryError("BLOB_UNKNOWN", `blob ${digest} is not known to this repository`, { digest });
}

/** HEAD / GET a blob, with a single Range → 206 and an unsatisfiable one → 416. */
export async function getBlob(ctx: V2Context, request: Request, name: string, rawDigest: string): Promise<Response> {
  const digest = requireDigest(rawDigest);
  const repo = await requireRepo(ctx, name);
  let size = await ctx.stores.blobLinks.linkedSize(repo.id, digest.value);
  if (size === undefined && ctx.proxyCaches) {
    // A proxy cache's blob not stored yet: streamed from the upstream as it is stored (whole: no Range).
    const streamed = await pullThrough(() => ctx.proxyCaches!.pulls.blob(repo.fullName, digest.value, request.method === "HEAD"), (reason) =>
      new RegistryError("BLOB_UNKNOWN", reason, { digest: digest.value }),
    );
    if (streamed) {
      const headers = v2Headers({ "Docker-Content-Digest": digest.value, "Content-Type": "application/octet-stream", "Content-Length": String(streamed.length), ETag: `"${digest.value}"` });
      return new Response(streamed.body, { status: 200, headers });
    }
    size = await ctx.stores.blobLinks.linkedSize(repo.id, digest.value);
  }
  if (size === undefined) throw blobUnknown(digest.value);
  const base = {
    "Docker-Content-Digest": digest.value,
    "Content-Type": "application/octet-stream",
    "Accept-Ranges": "bytes",
    ETag: `"${digest.value}"`,
    "Cache-Control": "max-age=31536000",
  };
  const range = parseRangeHeader(request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") {
    throw new RegistryError("RANGE_INVALID", `range not satisfiable for a blob of ${size} bytes`, undefined, {
      "Content-Range": `bytes */${size}`,
    });
  }
  const head = request.method === "HEAD";
  // A store set to redirect hands pulls to the object store (the client re-sends its Range).
  const redirect = head ? undefined : ctx.stores.blobs.redirectUrl(digest.value);
  if (redirect) return new Response(null, { status: 307, headers: v2Headers({ "Docker-Content-Digest": digest.value, Location: redirect }) });
  if (range.kind === "partial") {
    const length = range.end - range.start + 1;
    const headers = v2Headers({
      ...base,
      "Content-Length": String(length),
      "Content-Range": `bytes ${range.start}-${range.end}/${size}`,
    });
    return new Response(head ? null : ctx.stores.blobs.body(digest.value, range), { status: 206, headers });
  }
  const headers = v2Headers({ ...base, "Content-Length": String(size) });
  if (head || size === 0) return new Response(null, { status: 200, headers });
  return new Response(ctx.stores.blobs.body(digest.value), { status: 200, headers });
}

/** Unlinks the blob from the repository; garbage collection reclaims the bytes later. */
export async function deleteBlob(ctx: V2Context, request: Request, name: string, rawDigest: string): Promise<Response> {
  const digest = requireDigest(rawDigest);
  const row = await requireRepo(ctx, name);
  const outcome = await ctx.registry.unlinkBlob({ repo: { id: row.id, name: row.fullName }, digest: digest.value, actor: requestActor(ctx, request) });
  if (outcome.kind === "unknownBlob") throw blobUnknown(digest.value);
  if (outcome.kind !== "ok") throw refusalError(outcome);
  return emptyResponse(202, { "Docker-Content-Digest": digest.value });
}
