import { parseContentRange, quoteForMessage } from "../oci";
import { externalBase } from "../auth/externalUrl";
import { clientAddress } from "../auth/clientAddress";
import { stallGuarded } from "../requestBody";
import type { FinishUploadOutcome, StartUploadOutcome } from "../registry/registry";
import type { AppendOutcome } from "../store/uploadSessions";
import type { V2Context } from "./context";
import { RegistryError, refusalError } from "./errors";
import { requestActor } from "./actor";
import { canonicalRepoName, emptyResponse, requireDigest, requireRepo } from "./respond";
import { repositoryForPush } from "./pushTarget";

// Locations are absolute (publicUrl, else the request's checked host): some clients
// (charliecloud's ch-image) cannot follow relative ones, and Distribution sends absolute URLs.
const uploadPath = (base: string, name: string, id: string) => `${base}/v2/${name}/blobs/uploads/${id}`;
const baseOf = (ctx: V2Context, request: Request) => externalBase(ctx.config, request).url;
const rangeHeader = (offset: number) => `0-${Math.max(offset - 1, 0)}`;

function sessionHeaders(base: string, name: string, id: string, offset: number): Record<string, string> {
  return { Location: uploadPath(base, name, id), Range: rangeHeader(offset), "Docker-Upload-UUID": id };
}

function blobCreated(base: string, name: string, digest: string): Response {
  return emptyResponse(201, { Location: `${base}/v2/${name}/blobs/${digest}`, "Docker-Content-Digest": digest });
}

function uploadUnknown(id: string): RegistryError {
  return new RegistryError("BLOB_UPLOAD_UNKNOWN", `upload ${id} is not known (it may have expired or completed)`, {
    uuid: id,
  });
}

/** Who an upload belongs to, for the cap on open sessions: the token's account, else the client address. */
function uploadOwner(ctx: V2Context, request: Request): string {
  const subject = ctx.access.verifiedSubject(request);
  return subject ? `${subject.kind}:${subject.name}` : `address:${clientAddress(request)}`;
}

/** The request body, cut off when the client sends nothing for the stall time. */
function uploadBody(ctx: V2Context, request: Request): ReadableStream<Uint8Array> | null {
  return request.body && stallGuarded(request.body, ctx.config.bodyStallSeconds * 1000);
}

type Failure = Exclude<AppendOutcome | FinishUploadOutcome | StartUploadOutcome, { kind: "ok" }>;

/** Turns every outcome but success into the spec's error. */
function failure(outcome: Failure, base: string, name: string, id: string): RegistryError {
  switch (outcome.kind) {
    case "unknown":
      return uploadUnknown(id);
    case "tooMany":
      return new RegistryError(
        "TOOMANYREQUESTS",
        `too many open uploads (limit ${outcome.limit}): finish or cancel one, or wait until idle ones expire`,
        { limit: outcome.limit },
      );
    case "busy":
      return new RegistryError("UPLOAD_BUSY", "another request is writing to this upload", undefined, sessionHeaders(base, name, id, outcome.offset));
    case "rangeMismatch":
      return new RegistryError(
        "RANGE_INVALID",
        `chunk does not continue the upload: it must start at byte ${outcome.offset} and carry as many bytes as its Content-Range says`,
        { offset: outcome.offset },
        sessionHeaders(base, name, id, outcome.offset),
      );
    case "aborted":
      // The rest of a broken or stalled body is never read: close rather than wait for it.
      return new RegistryError("BLOB_UPLOAD_INVALID", "the request body broke off or stalled; the upload can resume", {
        offset: outcome.offset,
      }, { ...sessionHeaders(base, name, id, outcome.offset), Connection: "close" });
    case "digestMismatch":
      return new RegistryError("DIGEST_INVALID", `uploaded content has digest ${outcome.actual}, not the one given`, {
        actual: outcome.actual,
      });
    case "unknownBlob":
      return new RegistryError("BLOB_UNKNOWN", `blob ${outcome.digest} is not known to this repository`, { digest: outcome.digest });
    default:
      return refusalError(outcome);
  }
}

function contentRange(request: Request): { start: number; end: number } | undefined {
  const header = request.headers.get("content-range");
  if (header === null) return undefined;
  const parsed = parseContentRange(header);
  if (!parsed.ok) throw new RegistryError("RANGE_INVALID", `malformed Content-Range ${quoteForMessage(header)}`);
  return { start: parsed.start, end: parsed.end };
}

/** POST: cross-repository mount, monolithic upload (?digest=), or a new session. */
export async function startUpload(ctx: V2Context, request: Request, url: URL, name: string, canReadSource: (repo: string) => Promise<boolean>): Promise<Response> {
  const mount = url.searchParams.get("mount");
  const from = url.searchParams.get("from");
  const digestParam = url.searchParams.get("digest");
  // Parameters are checked before the repository is created: a refused request leaves nothing behind.
  const mountDigest = mount && from ? requireDigest(mount, "mount") : undefined;
  const monolithicDigest = digestParam !== null ? requireDigest(digestParam) : undefined;
  const row = await repositoryForPush(ctx, request, name);
  const repo = { id: row.id, name: row.fullName };
  const actor = requestActor(ctx, request);
  const base = baseOf(ctx, request);
  if (mountDigest && from) {
    const source = await ctx.stores.repositories.find(canonicalRepoName(from));
    // An unknown or unreadable source falls back to a plain upload session, as the spec says.
    if (source && (await canReadSource(from))) {
      const mounted = await ctx.registry.mountBlob({ repo, from: { id: source.id, name: source.fullName }, digest: mountDigest.value, actor });
      if (mounted.kind === "ok") return blobCreated(base, name, mountDigest.value);
      if (mounted.kind !== "unknownBlob") throw failure(mounted, base, name, "");
    }
  }
  if (monolithicDigest) {
    const outcome = await ctx.registry.putMonolithic({ repo, digest: monolithicDigest, body: uploadBody(ctx, request), owner: uploadOwner(ctx, request), actor });
    if (outcome.kind !== "ok") throw failure(outcome, base, name, "monolithic");
    return blobCreated(base, name, monolithicDigest.value);
  }
  const started = await ctx.registry.startUpload({ repo, owner: uploadOwner(ctx, request), actor });
  if (started.kind !== "ok") throw failure(started, base, name, "");
  return emptyResponse(202, sessionHeaders(base, name, started.id, 0));
}

/** PATCH: one chunk (with Content-Range) or a streamed body (without). */
export async function appendUpload(ctx: V2Context, request: Request, name: string, id: string): Promise<Response> {
  const repo = await requireRepo(ctx, name);
  const outcome = await ctx.stores.uploads.append(repo.id, id, uploadBody(ctx, request), contentRange(request));
  if (outcome.kind !== "ok") throw failure(outcome, baseOf(ctx, request), name, id);
  return emptyResponse(202, sessionHeaders(baseOf(ctx, request), name, id, outcome.offset));
}

/** PUT ?digest=: closes the session, with or without a last chunk. */
export async function finishUpload(ctx: V2Context, request: Request, url: URL, name: string, id: string): Promise<Response> {
  const digest = requireDigest(url.searchParams.get("digest"));
  const row = await requireRepo(ctx, name);
  const outcome = await ctx.registry.finishUpload({
    repo: { id: row.id, name: row.fullName },
    session: id,
    digest,
    body: uploadBody(ctx, request),
    range: contentRange(request),
    actor: requestActor(ctx, request),
  });
  if (outcome.kind !== "ok") throw failure(outcome, baseOf(ctx, request), name, id);
  return blobCreated(baseOf(ctx, request), name, digest.value);
}

export async function uploadStatus(ctx: V2Context, request: Request, name: string, id: string): Promise<Response> {
  const repo = await requireRepo(ctx, name);
  const offset = await ctx.stores.uploads.offset(repo.id, id);
  if (offset === undefined) throw uploadUnknown(id);
  return emptyResponse(204, sessionHeaders(baseOf(ctx, request), name, id, offset));
}

export async function cancelUpload(ctx: V2Context, request: Request, name: string, id: string): Promise<Response> {
  const repo = await requireRepo(ctx, name);
  const outcome = await ctx.stores.uploads.cancel(repo.id, id);
  if (outcome.kind !== "ok") throw failure(outcome, baseOf(ctx, request), name, id);
  return emptyResponse(204);
}
