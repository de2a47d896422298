// Every route of the registry protocol in one table, read by the router in index.ts:
//  - PATHS: the fixed paths (/v2/, /v2/_catalog, /v2/auth, and Docker's search beside /v2);
//  - REPOSITORY_ROUTES: /v2/<name>/<endpoint>, by the endpoint's kind (parsed from the path by
//    the oci grammar) and the method: the actions the caller needs on the repository, checked
//    before the handler runs (the single place /v2 permissions are decided), and the handler.
// HEAD is served wherever GET is: by the same handler (blobs and manifests answer HEAD without
// reading their bytes) or, on the fixed paths, by GET's answer without its body.
import type { V2Route } from "../oci";
import { CATALOG_SCOPE, type RepoAction } from "../perm/access";
import { deleteBlob, getBlob } from "./blobs";
import type { V2Context } from "./context";
import { listCatalog, listReferrers, listTags } from "./listings";
import { deleteManifest, getManifest, putManifest } from "./manifests";
import { unauthorized } from "./refusal";
import { canonicalRepoName, jsonResponse } from "./respond";
import { ping, searchRepositories } from "./search";
import { issueToken } from "./tokenEndpoint";
import { appendUpload, cancelUpload, finishUpload, startUpload, uploadStatus } from "./uploads";

export type Method = "GET" | "HEAD" | "PUT" | "PATCH" | "POST" | "DELETE";

/** A fixed path's GET handler; it checks access itself (each path has its own rule). */
export type PathHandler = (ctx: V2Context, request: Request) => Promise<Response>;

const base: PathHandler = async (ctx, request) => {
  const decision = await ctx.access.checkBase(request);
  if (!decision.allowed) throw unauthorized(ctx, request, decision);
  return jsonResponse({});
};

const catalog: PathHandler = async (ctx, request) => {
  const filter = await ctx.access.catalogFilter(request);
  if (!filter.allowed) throw unauthorized(ctx, request, filter, CATALOG_SCOPE);
  return listCatalog(ctx, new URL(request.url), filter.canSee);
};

/** The fixed paths (GET, and HEAD as GET without the body); other methods are no route. */
export const PATHS: ReadonlyMap<string, PathHandler> = new Map<string, PathHandler>([
  ["/v2", base],
  ["/v2/", base],
  ["/v2/_catalog", catalog],
  ["/v2/auth", issueToken],
  // The Docker registry search API (`docker search`), beside /v2 as on Quay.
  ["/v1/_ping", async () => ping()],
  ["/v1/_ping/", async () => ping()],
  ["/v1/search", searchRepositories],
  ["/v1/search/", searchRepositories],
]);

type Kind = V2Route["kind"];

export interface RepositoryRoute<K extends Kind = Kind> {
  /** What the caller needs on the repository. */
  actions: RepoAction[];
  /** A Response at once where nothing is awaited (a manifest GET); a promise otherwise. */
  handle(ctx: V2Context, request: Request, route: Extract<V2Route, { kind: K }>): Response | Promise<Response>;
}

const pullManifest: RepositoryRoute<"manifest"> = { actions: ["pull"], handle: (ctx, request, r) => getManifest(ctx, request, r.repo, r.reference) };
const pullBlob: RepositoryRoute<"blob"> = { actions: ["pull"], handle: (ctx, request, r) => getBlob(ctx, request, r.repo, r.digest) };
const listTagsRoute: RepositoryRoute<"tags"> = { actions: ["pull"], handle: (ctx, request, r) => listTags(ctx, new URL(request.url), r.repo) };
const listReferrersRoute: RepositoryRoute<"referrers"> = {
  actions: ["pull"],
  handle: (ctx, request, r) => listReferrers(ctx, new URL(request.url), r.repo, r.digest),
};
const PUSH: RepoAction[] = ["pull", "push"];

export const REPOSITORY_ROUTES: { readonly [K in Kind]: Partial<Record<Method, RepositoryRoute<K>>> } = {
  manifest: {
    GET: pullManifest,
    HEAD: pullManifest,
    PUT: { actions: PUSH, handle: (ctx, request, r) => putManifest(ctx, request, r.repo, r.reference) },
    DELETE: { actions: ["delete"], handle: (ctx, request, r) => deleteManifest(ctx, request, r.repo, r.reference) },
  },
  blob: {
    GET: pullBlob,
    HEAD: pullBlob,
    DELETE: { actions: ["delete"], handle: (ctx, request, r) => deleteBlob(ctx, request, r.repo, r.digest) },
  },
  uploadStart: {
    // A mount (?mount=&from=) also needs pull on the source, asked of the caller's own access.
    POST: {
      actions: PUSH,
      handle: (ctx, request, r) =>
        startUpload(ctx, request, new URL(request.url), r.repo, async (from) => (await ctx.access.check(request, canonicalRepoName(from), ["pull"])).allowed),
    },
  },
  upload: {
    GET: { actions: PUSH, handle: (ctx, request, r) => uploadStatus(ctx, request, r.repo, r.uuid) },
    PATCH: { actions: PUSH, handle: (ctx, request, r) => appendUpload(ctx, request, r.repo, r.uuid) },
    PUT: { actions: PUSH, handle: (ctx, request, r) => finishUpload(ctx, request, new URL(request.url), r.repo, r.uuid) },
    DELETE: { actions: PUSH, handle: (ctx, request, r) => cancelUpload(ctx, request, r.repo, r.uuid) },
  },
  tags: { GET: listTagsRoute, HEAD: listTagsRoute },
  referrers: { GET: listReferrersRoute, HEAD: listReferrersRoute },
};

/** The route for a method on a parsed path, or undefined when the method has none there. */
export function repositoryRoute(method: string, route: V2Route): RepositoryRoute | undefined {
  return (REPOSITORY_ROUTES[route.kind] as Partial<Record<string, RepositoryRoute>>)[method];
}
