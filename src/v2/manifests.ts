import { digestOfBytes, negotiateManifest, parseManifest, parseReference, type Digest } from "../oci";
import { externalUrl } from "../auth/externalUrl";
import { declaredLength, readCapped } from "../requestBody";
import type { StoredManifest } from "../store/meta/manifests";
import type { V2Context } from "./context";
import { RegistryError, refusalError, grammarError } from "./errors";
import { requestActor } from "./actor";
import { canonicalRepoName, emptyResponse, knownRepo, requireRepo, v2Headers } from "./respond";
import type { RepoRow } from "../store/meta/repositories";
import { repositoryForPush } from "./pushTarget";
import { pullThrough } from "./proxyCache";

type Reference = { kind: "tag"; tag: string } | { kind: "digest"; digest: Digest };

function requireReference(raw: string): Reference {
  const ref = parseReference(raw);
  if (!ref.ok) throw grammarError(ref, { reference: raw });
  return ref.kind === "tag" ? { kind: "tag", tag: ref.tag } : { kind: "digest", digest: ref.digest };
}

function blobUnknown(digest: string): RegistryError {
  return new RegistryError("MANIFEST_BLOB_UNKNOWN", `manifest references blob ${digest}, which this repository does not have`, { digest });
}

function childUnknown(digest: string): RegistryError {
  return new RegistryError("MANIFEST_BLOB_UNKNOWN", `index references manifest ${digest}, which this repository does not have`, { digest });
}

function manifestUnknown(raw: string): RegistryError {
  return new RegistryError("MANIFEST_UNKNOWN", `manifest "${raw}" is not known to this repository`, { reference: raw });
}

/** Reads a manifest body of at most `max` bytes, trusting neither Content-Length nor the client's pace. */
async function readManifestBody(request: Request, max: number, withinMs: number): Promise<Uint8Array> {
  // The rest of a refused body is never read: close rather than wait for it.
  const tooBig = () =>
    new RegistryError("BODY_TOO_LARGE", `manifest is larger than the limit of ${max} bytes`, { limit: max }, { Connection: "close" });
  if ((declaredLength(request.headers) ?? 0) > max) throw tooBig();
  const read = await readCapped(request.body, max, withinMs);
  if (read.kind === "tooLarge") throw tooBig();
  if (read.kind === "incomplete") {
    throw new RegistryError("BODY_TIMEOUT", `the manifest did not arrive whole within ${withinMs / 1000} s`, undefined, {
      Connection: "close",
    });
  }
  return read.bytes;
}

// Clients send the same few Accept headers over and over; parsing them was ~8 % of a GET.
// Per node, and correct so: the answer is a pure function of the two strings.
const negotiated = new Map<string, boolean>();
function acceptable(mediaType: string, accept: string | null): boolean {
  const key = `${mediaType}\n${accept}`;
  let ok = negotiated.get(key);
  if (ok === undefined) {
    ok = negotiateManifest(mediaType, accept);
    if (negotiated.size > 1000) negotiated.clear();
    negotiated.set(key, ok);
  }
  return ok;
}

// The read cache hands out one object per cached manifest: its answer's headers are built once
// (turning a header object into Headers was ~10 % of a GET). A Response copies its init headers,
// so what the server adds to one answer never reaches the next.
const builtHeaders = new WeakMap<StoredManifest, Headers>();
function answerHeaders(found: StoredManifest): Headers {
  let headers = builtHeaders.get(found);
  if (!headers) {
    headers = new Headers(
      v2Headers({ "Content-Type": found.mediaType, "Content-Length": String(found.size), "Docker-Content-Digest": found.digest, ETag: `"${found.digest}"` }),
    );
    builtHeaders.set(found, headers);
  }
  return headers;
}

/**
 * Synchronous where the store answers at once (a remembered read, or SQLite): nothing on such a
 * pull is awaited, except in a proxy-cache organization, where the manifest is first made present
 * and fresh from upstream. On PostgreSQL a read the cache does not hold is awaited.
 */
export function getManifest(ctx: V2Context, request: Request, name: string, raw: string): Response | Promise<Response> {
  const caches = ctx.proxyCaches;
  const repo = caches && canonicalRepoName(name);
  const refreshed = caches && repo ? caches.pulls.manifest(repo, raw) : undefined;
  if (refreshed) {
    // Not there and not to be had: Quay's answers (NAME_UNKNOWN before the first pull made the repository).
    const notThere = async (reason: string) =>
      (await ctx.stores.repositories.find(repo!)) ? new RegistryError("MANIFEST_UNKNOWN", reason, { reference: raw }) : new RegistryError("NAME_UNKNOWN", reason, { name });
    return pullThrough(() => refreshed, notThere).then(() => storedManifest(ctx, request, name, raw));
  }
  return storedManifest(ctx, request, name, raw);
}

function storedManifest(ctx: V2Context, request: Request, name: string, raw: string): Response | Promise<Response> {
  // The promised path apart (…Later): this runs on every pull, mostly answered at once.
  const found = ctx.stores.repositories.findMaybeSync(canonicalRepoName(name));
  return found instanceof Promise ? manifestOfLater(ctx, request, name, raw, found) : manifestOf(ctx, request, name, raw, found);
}

async function manifestOfLater(ctx: V2Context, request: Request, name: string, raw: string, found: Promise<RepoRow | undefined>): Promise<Response> {
  return manifestOf(ctx, request, name, raw, await found);
}

function manifestOf(ctx: V2Context, request: Request, name: string, raw: string, found: RepoRow | undefined): Response | Promise<Response> {
  const repo = knownRepo(found, name);
  // A reference outside the tag and digest grammar names nothing that could be here: the spec's
  // only answer for a manifest that is not there is 404 MANIFEST_UNKNOWN.
  const ref = parseReference(raw);
  if (!ref.ok) throw new RegistryError("MANIFEST_UNKNOWN", `manifest unknown: ${ref.message}`);
  const manifest =
    ref.kind === "tag" ? ctx.stores.manifests.getByTagMaybeSync(repo.id, ref.tag) : ctx.stores.manifests.getByDigestMaybeSync(repo.id, ref.digest.value);
  return manifest instanceof Promise ? manifestResponseLater(ctx, request, raw, repo, ref, manifest) : manifestResponse(ctx, request, raw, repo, ref, manifest);
}

type ParsedRef = { kind: "tag"; tag: string } | { kind: "digest" };

async function manifestResponseLater(ctx: V2Context, request: Request, raw: string, repo: RepoRow, ref: ParsedRef, found: Promise<StoredManifest | undefined>): Promise<Response> {
  return manifestResponse(ctx, request, raw, repo, ref, await found);
}

function manifestResponse(
  ctx: V2Context,
  request: Request,
  raw: string,
  repo: RepoRow,
  ref: ParsedRef,
  found: StoredManifest | undefined,
): Response {
  if (!found) throw manifestUnknown(raw);
  // A digest names exact bytes: they are served as stored whatever Accept says (as Docker Hub
  // does). Negotiation is for tags, where it picks what a client can read.
  if (ref.kind === "tag" && !acceptable(found.mediaType, request.headers.get("accept"))) {
    throw new RegistryError(
      "MANIFEST_UNKNOWN",
      `manifest "${raw}" is stored as ${found.mediaType}, which the Accept header does not allow`,
      { mediaType: found.mediaType },
    );
  }
  const headers = answerHeaders(found);
  if (request.method !== "HEAD") {
    ctx.registry.manifestPulled({ repo: repo.fullName, repoId: repo.id, digest: found.digest, mediaType: found.mediaType, tag: ref.kind === "tag" ? ref.tag : undefined, actor: requestActor(ctx, request) });
  }
  return new Response(request.method === "HEAD" ? null : found.content, { status: 200, headers });
}

export async function putManifest(ctx: V2Context, request: Request, name: string, raw: string): Promise<Response> {
  const ref = requireReference(raw);
  const bytes = await readManifestBody(request, ctx.config.maxManifestBytes, ctx.config.bodyStallSeconds * 1000);
  const algorithm = ref.kind === "digest" ? ref.digest.algorithm : "sha256";
  const digest = digestOfBytes(bytes, algorithm);
  if (ref.kind === "digest" && ref.digest.value !== digest) {
    throw new RegistryError("DIGEST_INVALID", `manifest content has digest ${digest}, not ${ref.digest.value}`, {
      actual: digest,
    });
  }
  const parsed = parseManifest(bytes, request.headers.get("content-type"));
  if (!parsed.ok) throw grammarError(parsed);
  const m = parsed.manifest;
  const childDigests = m.children.map((d) => d.digest);
  // Foreign layers (with urls) are fetched from elsewhere by clients and need not be here.
  const requiredBlobs = m.blobs.filter((d) => !d.urls?.length).map((d) => d.digest);
  // A repository that does not exist yet holds nothing: refuse without creating it.
  const found = await ctx.stores.repositories.find(canonicalRepoName(name));
  if (!found && requiredBlobs.length) throw blobUnknown(requiredBlobs[0]!);
  if (!found && childDigests.length) throw childUnknown(childDigests[0]!);
  const row = found ?? (await repositoryForPush(ctx, request, name));
  const outcome = await ctx.registry.pushManifest({
    repo: { id: row.id, name: row.fullName },
    manifest: {
      digest,
      mediaType: m.mediaType,
      artifactType: m.artifactType,
      subjectDigest: m.subject?.digest,
      annotations: m.annotations,
      content: bytes,
      blobDigests: m.blobs.map((d) => d.digest),
      childDigests,
    },
    requiredBlobs,
    tag: ref.kind === "tag" ? ref.tag : undefined,
    actor: requestActor(ctx, request),
  });
  if (outcome.kind === "missingBlob") throw blobUnknown(outcome.digest);
  if (outcome.kind === "missingChild") throw childUnknown(outcome.digest);
  if (outcome.kind !== "ok") throw refusalError(outcome);
  return emptyResponse(201, {
    Location: externalUrl(ctx.config, request, `/v2/${name}/manifests/${digest}`),
    "Docker-Content-Digest": digest,
    ...(m.subject ? { "OCI-Subject": m.subject.digest } : {}),
  });
}

/**
 * By digest: the manifest and its tags go. By tag: only the tag ends (its history stays).
 * Either is refused while an immutable tag would go.
 */
export async function deleteManifest(ctx: V2Context, request: Request, name: string, raw: string): Promise<Response> {
  const ref = requireReference(raw);
  const row = await requireRepo(ctx, name);
  const target = { repo: { id: row.id, name: row.fullName }, actor: requestActor(ctx, request) };
  const outcome =
    ref.kind === "tag"
      ? await ctx.registry.deleteTag({ ...target, tag: ref.tag })
      : await ctx.registry.deleteManifest({ ...target, digest: ref.digest.value });
  if (outcome.kind === "notLive" || outcome.kind === "unknownManifest") throw manifestUnknown(raw);
  if (outcome.kind !== "ok") throw refusalError(outcome);
  return emptyResponse(202);
}
