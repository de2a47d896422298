import { Elysia } from "elysia";
import { parseV2Path, type V2Route } from "../oci";
import { repositoryScope, type RepoAction } from "../perm/access";
import { deleteBlob, getBlob } from "./blobs";
import type { V2Context } from "./context";
import { RegistryError, registryErrorResponse } from "./errors";
import { listCatalog, listReferrers, listTags } from "./listings";
import { deleteManifest, getManifest, putManifest } from "./manifests";
import { canonicalRepoName, jsonResponse } from "./respond";
import { appendUpload, cancelUpload, finishUpload, startUpload, uploadStatus } from "./uploads";

type Method = "GET" | "HEAD" | "PUT" | "PATCH" | "POST" | "DELETE";

/** The actions a request needs on its repository: the single place /v2 permissions are decided. */
export function requiredActions(method: Method, route: V2Route): RepoAction[] | undefined {
  const read = method === "GET" || method === "HEAD";
  switch (route.kind) {
    case "manifest":
      return read ? ["pull"] : method === "PUT" ? ["pull", "push"] : method === "DELETE" ? ["delete"] : undefined;
    case "blob":
      return read ? ["pull"] : method === "DELETE" ? ["delete"] : undefined;
    case "uploadStart":
      return method === "POST" ? ["pull", "push"] : undefined;
    case "upload":
      return method === "POST" || method === "HEAD" ? undefined : ["pull", "push"];
    case "tags":
    case "referrers":
      return read ? ["pull"] : undefined;
  }
}

async function dispatch(ctx: V2Context, request: Request, rest: string): Promise<Response> {
  const method = request.method as Method;
  const parsed = parseV2Path(rest);
  if (!parsed.ok) throw new RegistryError(parsed.code, parsed.message, undefined, parsed.code === "NOT_FOUND" ? 404 : 400);
  const route = parsed.route;
  const actions = requiredActions(method, route);
  if (!actions) throw new RegistryError("UNSUPPORTED", `${method} is not supported on this path`, undefined, 405);
  const repo = canonicalRepoName(route.repo);
  const decision = await ctx.access.check(request, repo, actions);
  if (!decision.allowed) {
    throw new RegistryError("UNAUTHORIZED", "authentication required", { scope: repositoryScope(repo, actions) });
  }
  const url = new URL(request.url);
  switch (route.kind) {
    case "manifest":
      if (method === "PUT") return putManifest(ctx, request, route.repo, route.reference);
      if (method === "DELETE") return deleteManifest(ctx, route.repo, route.reference);
      return getManifest(ctx, request, route.repo, route.reference);
    case "blob":
      if (method === "DELETE") return deleteBlob(ctx, route.repo, route.digest);
      return getBlob(ctx, request, route.repo, route.digest);
    case "uploadStart":
      return startUpload(ctx, request, url, route.repo, async (from) => {
        const d = await ctx.access.check(request, canonicalRepoName(from), ["pull"]);
        return d.allowed;
      });
    case "upload":
      if (method === "PATCH") return appendUpload(ctx, request, route.repo, route.uuid);
      if (method === "PUT") return finishUpload(ctx, request, url, route.repo, route.uuid);
      if (method === "DELETE") return cancelUpload(ctx, route.repo, route.uuid);
      return uploadStatus(ctx, route.repo, route.uuid);
    case "tags":
      return listTags(ctx, url, route.repo);
    case "referrers":
      return listReferrers(ctx, url, route.repo, route.digest);
  }
}

/** Typed errors become OCI error JSON here and nowhere else. */
function guarded(ctx: V2Context, run: (request: Request, rest: string) => Promise<Response>) {
  return async ({ request, params }: { request: Request; params: Record<string, string> }) => {
    try {
      return await run(request, params?.["*"] ?? "");
    } catch (err) {
      if (err instanceof RegistryError) return registryErrorResponse(err, request.method);
      ctx.log.error(`${request.method} ${new URL(request.url).pathname} failed`, err);
      return registryErrorResponse(new RegistryError("UNKNOWN", "internal server error"), request.method);
    }
  };
}

export function v2Routes(ctx: V2Context) {
  const base = guarded(ctx, async () => jsonResponse({}));
  const catalog = guarded(ctx, (request) => listCatalog(ctx, request, new URL(request.url)));
  const any = guarded(ctx, (request, rest) => dispatch(ctx, request, rest));
  // Blob and manifest bodies are streamed or read exactly by the handlers, never parsed by Elysia.
  const raw = { parse: "none" as const };
  return new Elysia({ name: "berth-v2" })
    // Elysia answers HEAD on wildcard routes by running the GET handler and reading the whole
    // body to count it (a multi-GB blob read for nothing) and drops our Content-Length.
    // HEAD under /v2/ is therefore dispatched here, before routing.
    .onRequest(({ request }) => {
      if (request.method !== "HEAD") return;
      const path = request.url.slice(request.url.indexOf("/", 8)).split("?")[0]!;
      // /v2/ and /v2/_catalog have their own GET routes, which Elysia also answers HEAD with.
      if (!path.startsWith("/v2/") || path === "/v2/" || path === "/v2/_catalog") return;
      return any({ request, params: { "*": path.slice(4) } });
    })
    .get("/v2", base)
    .get("/v2/", base)
    .get("/v2/_catalog", catalog)
    .get("/v2/*", any, raw)
    .put("/v2/*", any, raw)
    .patch("/v2/*", any, raw)
    .post("/v2/*", any, raw)
    .delete("/v2/*", any, raw);
}
