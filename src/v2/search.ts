// Docker's registry search API, which `docker search <host>/<term>` calls: GET /v1/search?q=&n=&page=
// (and GET /v1/_ping first, to pick a scheme), served as Quay serves it. Results list only what
// the caller may read: anonymous callers see public repositories; Basic credentials (the Docker
// daemon sends the `docker login` ones with its search, marked X-Docker-Token: true, over HTTP
// and HTTPS alike) or a registry token add what that account may pull.
import { ANONYMOUS, type Identity } from "../auth/identity";
import { mayReadRepo } from "../perm/repoAccess";
import type { V2Context } from "./context";
import { RegistryError } from "./errors";
import { jsonResponse } from "./respond";
import { authenticate } from "./tokenEndpoint";

export interface SearchQuery {
  term: string;
  /** Results per page, 1–100 (Docker asks for 25 unless told). */
  limit: number;
  /** 1-based. */
  page: number;
}

export const SEARCH_MAX_TERM = 255;
export const SEARCH_MAX_LIMIT = 100;
export const SEARCH_MAX_PAGE = 100;

function integerOr(raw: string | null, fallback: number): number {
  return raw !== null && /^-?\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : fallback;
}

/**
 * The query parameters, as Quay reads them: `n` and `page` that are not numbers fall back to 25
 * and 1, out-of-range ones are clamped (n to 1–100, page to 1–100). A term longer than any
 * repository name is refused (it is echoed back, so it stays bounded).
 */
export function parseSearchQuery(params: URLSearchParams): { ok: true; query: SearchQuery } | { ok: false; message: string } {
  const term = (params.get("q") ?? "").trim();
  if (term.length > SEARCH_MAX_TERM) return { ok: false, message: `q is longer than ${SEARCH_MAX_TERM} characters` };
  const limit = Math.min(SEARCH_MAX_LIMIT, Math.max(1, integerOr(params.get("n"), 25)));
  const page = Math.min(SEARCH_MAX_PAGE, Math.max(1, integerOr(params.get("page"), 1)));
  return { ok: true, query: { term, limit, page } };
}

/** Who is searching: Basic credentials, a registry token, or nobody. */
async function searcher(ctx: V2Context, request: Request): Promise<Identity> {
  const header = request.headers.get("authorization");
  if (header === null || !ctx.auth) return ANONYMOUS;
  if (/^basic /i.test(header)) return authenticate(ctx.auth, request);
  const bearer = await ctx.access.bearerIdentity(request);
  if (bearer === undefined) return ANONYMOUS;
  if (!bearer.ok) throw new RegistryError("UNAUTHORIZED", bearer.reason, {});
  return bearer.identity;
}

export async function searchRepositories(ctx: V2Context, request: Request): Promise<Response> {
  const parsed = parseSearchQuery(new URL(request.url).searchParams);
  if (!parsed.ok) throw new RegistryError("INVALID_REQUEST", parsed.message);
  const { term, limit, page } = parsed.query;
  const identity = await searcher(ctx, request);
  // Open mode (--auth none): everyone may pull everything, so everything is found.
  const open = ctx.access.mode === "none";
  const canSee = (repo: string) => open || mayReadRepo(ctx.auth!.roles.standing(identity, repo).role);
  // Like Quay: an empty term finds nothing (no listing of the whole registry through search).
  const found = term
    ? await ctx.stores.repositories.search(term, {
        publicOnly: !open && identity.kind === "anonymous",
        filter: open || identity.kind === "anonymous" ? undefined : canSee,
        skip: (page - 1) * limit,
        limit: limit + 1,
      })
    : [];
  const shown = found.slice(0, limit);
  const stars = await ctx.stores.stars.countsFor(shown.map((r) => r.id));
  return jsonResponse({
    query: term,
    num_results: shown.length,
    num_pages: found.length > limit ? page + 1 : page,
    page,
    page_size: limit,
    results: shown.map((r) => ({
      name: r.fullName,
      description: r.description ?? "",
      is_public: r.visibility === "public",
      is_official: false,
      is_automated: false,
      star_count: stars.get(r.id) ?? 0,
    })),
  });
}

/**
 * GET /v1/_ping: the Docker daemon only needs an answer (it tries HTTPS, then HTTP for an insecure
 * registry). "Standalone" (a registry with its own accounts, which Berth is; Quay answers "0")
 * makes the daemon send Basic credentials with every request over HTTPS, not only the search.
 */
export function ping(): Response {
  return jsonResponse(true, 200, { "X-Docker-Registry-Version": "0.6.0", "X-Docker-Registry-Standalone": "true" });
}
