import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { isValidRepoName } from "../oci";
import { mayAdminRepo, mayReadRepo, mayWriteRepo } from "../perm/repoAccess";
import type { RepoDetails } from "../store/meta/repositories";
import { parseBody } from "./body";
import { isSignedIn, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { callerActor } from "./actor";
import { refusalError } from "./registryRefusals";
import { nameCursor, queryFlag } from "./query";
import { tagSize } from "./tag";
import { rfc2822 } from "./views";
import { repositoryQuotaReports } from "./quotaView";

const CreateBody = Type.Object({
  repository: Type.String({ minLength: 1 }),
  visibility: Type.Union([Type.Literal("public"), Type.Literal("private")]),
  description: Type.String(),
  namespace: Type.Optional(Type.String({ minLength: 1 })),
  repo_kind: Type.Optional(Type.Union([Type.Literal("image"), Type.Null()])),
});
const UpdateBody = Type.Object({ description: Type.String() });
const VisibilityBody = Type.Object({ visibility: Type.Union([Type.Literal("public"), Type.Literal("private")]) });
const StateBody = Type.Object({ state: Type.Union([Type.Literal("NORMAL"), Type.Literal("READ_ONLY"), Type.Literal("MIRROR")]) });

const PAGE_SIZE = 100;
/** Live tags in the repository view (Quay's max_tags). */
const MAX_TAGS = 500;
const DAY_MS = 86_400_000;
// Quay's popularity counts about three months of actions; its stats show 92 days.
const POPULARITY_WINDOW_MS = 90 * DAY_MS;
const STATS_WINDOW_MS = 92 * DAY_MS;

/** Repositories: list, create, get, update, delete, change visibility and state. */
export function repositoryRoutes(api: V1App, ctx: V1Context) {
  /** Which of the rows the caller starred (is_starred appears only for signed-in users). */
  const starredOf = async (caller: Caller, rows: RepoDetails[]) =>
    caller.identity.kind === "user" ? ctx.stores.stars.starredAmong(caller.identity.user.id, rows.map((r) => r.id)) : undefined;
  const summary = (r: RepoDetails, starred: Set<number> | undefined, extra: { lastModified?: boolean; popularity?: number } = {}) => ({
    namespace: r.namespace,
    name: r.name,
    description: r.description ?? "",
    is_public: r.visibility === "public",
    kind: "image",
    state: r.state,
    ...(extra.lastModified ? { last_modified: Math.floor(r.updatedMs / 1000) } : {}),
    ...(extra.popularity !== undefined ? { popularity: extra.popularity } : {}),
    ...(starred ? { is_starred: starred.has(r.id) } : {}),
  });
  /** Pulls and pushes per UTC day (Quay's RepositoryActionCount), from the audit log. */
  const activity = async (repositoryId: number, windowMs: number) =>
    ctx.stores.auditLog.aggregate({ repositoryId, kinds: ["pull_repo", "push_repo"], startMs: Date.now() - windowMs, endMs: Date.now() + 1 });

  const popularity = async (repositoryId: number) => (await activity(repositoryId, POPULARITY_WINDOW_MS)).reduce((n, d) => n + d.count, 0);

  return api
    .get("/api/v1/repository", async ({ caller, query }) => {
      const namespace = query.namespace;
      const includePublic = queryFlag(query, "public");
      const starredOnly = queryFlag(query, "starred");
      if (!namespace && !includePublic && !starredOnly) {
        throw ApiError.invalidRequest("one of namespace, starred or public is required");
      }
      if (starredOnly && caller.identity.kind !== "user") throw ApiError.invalidRequest("starred=true requires a signed-in user");
      const after = nameCursor.read(query.next_page);
      const visible: string[] = [];
      let more = false;
      const candidates =
        starredOnly && caller.identity.kind === "user"
          ? await ctx.stores.stars.starredBy(caller.identity.user.id, after, Number.MAX_SAFE_INTEGER)
          : await ctx.stores.repositories.list(after, undefined);
      for (const name of candidates) {
        if (namespace && !name.startsWith(`${namespace}/`)) continue;
        const standing = await ctx.roles.standing(caller.identity, name);
        // Without public=true only what the caller is granted counts (Quay), not others' public
        // repositories; a starred repository counts while the caller may still read it.
        const ok = mayReadRepo(includePublic || starredOnly ? standing.role : standing.grantedRole);
        if (!ok) continue;
        if (visible.length === PAGE_SIZE) {
          more = true;
          break;
        }
        visible.push(name);
      }
      const rows = (await ctx.stores.repositories.details(visible)).sort((a, b) => a.fullName.localeCompare(b.fullName));
      const starred = await starredOf(caller, rows);
      const quotas = await repositoryQuotaReports(ctx.stores, rows);
      const popularities = queryFlag(query, "popularity") ? await Promise.all(rows.map((r) => popularity(r.id))) : undefined;
      return {
        repositories: rows.map((r, i) => ({
          ...summary(r, starred, { lastModified: queryFlag(query, "last_modified"), popularity: popularities?.[i] }),
          quota_report: quotas.get(r.id),
        })),
        ...(more ? { next_page: nameCursor.write(visible[visible.length - 1]!) } : {}),
      };
    }, { nickname: "listRepos", requireScope: "repo:read" })
    .post("/api/v1/repository", async ({ caller, request, body, set }) => {
      const b = parseBody(CreateBody, body);
      if (!isSignedIn(caller)) throw ApiError.unauthorized(false);
      const namespace = b.namespace ?? (caller.identity.kind === "user" ? caller.identity.user.username : "");
      const full = `${namespace}/${b.repository}`;
      if (!isValidRepoName(full)) throw ApiError.invalidRequest("Invalid repository name");
      const standing = await ctx.roles.standing(caller.identity, full);
      // Permission before existence (as Quay): "already exists" must not reveal private repositories.
      if (!standing.canCreateInNamespace) throw ApiError.unauthorized(true);
      if (standing.exists) throw ApiError.invalidRequest("Repository already exists");
      // The creator's admin grant and the org's default permissions come with it (Quay's create_repository).
      const creator = caller.identity.kind === "user" ? { userId: caller.identity.user.id } : undefined;
      const made = await ctx.registry.createRepository({
        fullName: full,
        visibility: b.visibility,
        description: b.description,
        creator,
        actor: callerActor(caller, request),
      });
      if (made.kind === "exists") throw ApiError.invalidRequest("Repository already exists");
      if (made.kind === "registryReadOnly") throw refusalError(made);
      if (made.kind !== "ok") throw ApiError.notFound(); // the namespace is gone (or never was)
      set.status = 201;
      return { namespace, name: b.repository, kind: "image" };
    }, { nickname: "createRepo", requireScope: "repo:create", audit: "create_repo" })
    .get(
      "/api/v1/repository/:repository",
      async ({ caller, repo: standing, query }) => {
        const [r] = await ctx.stores.repositories.details([standing.repo]);
        const view: Record<string, unknown> = {
          ...summary(r!, await starredOf(caller, [r!]), { lastModified: true }),
          is_organization: r!.namespaceKind === "org",
          status_token: "",
          trust_enabled: false,
          // The namespace's time machine window (Quay's namespace_user_removed_tag_expiration_s).
          tag_expiration_s: await ctx.stores.tags.timeMachineSeconds(r!.id),
          is_free_account: true,
          can_write: mayWriteRepo(standing.role),
          can_admin: mayAdminRepo(standing.role),
        };
        if (queryFlag(query, "includeTags", true)) {
          // Quay's up to 500 live tags, sized as the tag list sizes them.
          const tags: Record<string, unknown> = {};
          for (const t of await ctx.stores.tags.history(r!.id, { onlyActive: true, offset: 0, limit: MAX_TAGS })) {
            const end = t.endMs ?? t.expiresMs;
            tags[t.name] = {
              name: t.name,
              size: tagSize(t),
              last_modified: rfc2822(t.startMs),
              ...(end !== undefined ? { expiration: rfc2822(end) } : {}),
              manifest_digest: t.digest,
            };
          }
          view.tags = tags;
        }
        if (queryFlag(query, "includeStats")) {
          const perDay = new Map<number, number>();
          for (const d of await activity(r!.id, STATS_WINDOW_MS)) perDay.set(d.dayMs, (perDay.get(d.dayMs) ?? 0) + d.count);
          view.stats = [...perDay].sort(([a], [b]) => a - b).map(([day, count]) => ({ date: new Date(day).toISOString().slice(0, 10), count }));
        }
        return view;
      },
      { nickname: "getRepo", requireRepoRead: { allowForGlobalReadonlySuperuser: true } },
    )
    .put(
      "/api/v1/repository/:repository",
      async ({ repo, body, audit }) => {
        const { description } = parseBody(UpdateBody, body);
        await ctx.stores.repositories.setDescription(repo.repoId!, description);
        audit("set_repo_description", { repo: { id: repo.repoId, name: repo.repo } }, { description });
        return { success: true };
      },
      { nickname: "updateRepo", requireRepoWrite: true, audit: "set_repo_description" },
    )
    .delete(
      "/api/v1/repository/:repository",
      async ({ caller, request, repo, set }) => {
        const outcome = await ctx.registry.deleteRepository({ repo: { id: repo.repoId!, name: repo.repo }, actor: callerActor(caller, request) });
        if (outcome.kind !== "ok") throw refusalError(outcome);
        set.status = 204;
        return "";
      },
      { nickname: "deleteRepository", requireRepoAdmin: true, audit: "delete_repo" },
    )
    .post(
      "/api/v1/repository/:repository/changevisibility",
      async ({ caller, request, repo, body }) => {
        const { visibility } = parseBody(VisibilityBody, body);
        const outcome = await ctx.registry.changeVisibility({ repo: { id: repo.repoId!, name: repo.repo }, visibility, actor: callerActor(caller, request) });
        if (outcome.kind !== "ok") throw refusalError(outcome);
        return { success: true };
      },
      { nickname: "changeRepoVisibility", requireRepoAdmin: true, audit: "change_repo_visibility" },
    )
    .put(
      "/api/v1/repository/:repository/changestate",
      async ({ caller, request, repo, body }) => {
        // NORMAL, READ_ONLY or MIRROR (in which only the mirror's robot writes; Quay allows MIRROR without a mirror configured).
        const { state } = parseBody(StateBody, body);
        const outcome = await ctx.registry.setRepositoryState({ repo: { id: repo.repoId!, name: repo.repo }, state, actor: callerActor(caller, request) });
        if (outcome.kind !== "ok") throw refusalError(outcome);
        return { success: true };
      },
      { nickname: "changeRepoState", requireRepoAdmin: true, audit: "change_repo_state" },
    );
}
