import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { isValidRepoName } from "../oci";
import { roleAtLeast } from "../perm/roles";
import type { RepoDetails } from "../store/meta/repositories";
import { parseBody } from "./body";
import { isSignedIn, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { requireRepoRole } from "./guards";
import { callerPlugin, v1Options } from "./session";
import { deletePermission, putPermission, readPermissions, splitPermissionPath } from "./permission";
import { deleteTag, listTags, putTag, restoreTag } from "./tag";

const CreateBody = Type.Object({
  repository: Type.String({ minLength: 1 }),
  visibility: Type.Union([Type.Literal("public"), Type.Literal("private")]),
  description: Type.String(),
  namespace: Type.Optional(Type.String({ minLength: 1 })),
  repo_kind: Type.Optional(Type.Union([Type.Literal("image"), Type.Null()])),
});
const UpdateBody = Type.Object({ description: Type.String() });
const VisibilityBody = Type.Object({ visibility: Type.Union([Type.Literal("public"), Type.Literal("private")]) });

const PAGE_SIZE = 100;

const isRepo = (name: string) => name.includes("/") && isValidRepoName(name);

/**
 * `<ns>/<name>[/<suffix>]` from the wildcard; names hold slashes, so the suffixes the method
 * knows anchor it (a repository may itself be called `changevisibility`). A path without
 * a valid `<ns>/<name>` is no repository: 404 (never `library/…`).
 */
function splitRepoPath(rest: string, suffixes: string[] = []): { repo: string; suffix: string } {
  let path: string;
  try {
    path = decodeURIComponent(rest).replace(/\/+$/, "");
  } catch {
    throw ApiError.notFound(); // malformed %-escapes name nothing
  }
  for (const suffix of suffixes) {
    const repo = path.slice(0, -suffix.length - 1);
    if (path.endsWith(`/${suffix}`) && isRepo(repo)) return { repo, suffix };
  }
  if (!isRepo(path)) throw ApiError.notFound();
  return { repo: path, suffix: "" };
}

/**
 * Tag paths: `<repo>/tag/` (the list, trailing slash as in Quay), `<repo>/tag/<tag>` and
 * `<repo>/tag/<tag>/restore`. Anchored on the last `/tag/`: repository names hold slashes, tags
 * cannot. Undefined when the path is not one of them (the repository routes then answer).
 */
function splitTagPath(rest: string, kind: "list" | "tag" | "restore"): { repo: string; tag: string } | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  if (kind === "list") {
    const repo = path.endsWith("/tag/") ? path.slice(0, -"/tag/".length) : "";
    return isRepo(repo) ? { repo, tag: "" } : undefined;
  }
  path = path.replace(/\/+$/, "");
  if (kind === "restore") {
    if (!path.endsWith("/restore")) return undefined;
    path = path.slice(0, -"/restore".length);
  }
  const at = path.lastIndexOf("/tag/");
  if (at < 0) return undefined;
  const repo = path.slice(0, at);
  const tag = path.slice(at + "/tag/".length);
  return tag !== "" && !tag.includes("/") && isRepo(repo) ? { repo, tag } : undefined;
}

/** Repositories: list, create, get, update, delete, change visibility. */
export function repositoryRoutes(ctx: V1Context) {
  const summary = (r: RepoDetails, caller: Caller) => ({
    namespace: r.namespace,
    name: r.name,
    description: r.description ?? "",
    is_public: r.visibility === "public",
    kind: "image",
    state: "NORMAL",
    last_modified: Math.floor(r.updatedMs / 1000),
    ...(isSignedIn(caller) ? { is_starred: false } : {}),
  });

  return new Elysia(v1Options(ctx, "berth-v1-repository"))
    .use(callerPlugin(ctx))
    .get("/api/v1/repository", ({ caller, query }) => {
      const namespace = query.namespace;
      const includePublic = query.public === "true";
      if (!namespace && !includePublic && query.starred !== "true") {
        throw ApiError.invalidRequest("one of namespace, starred or public is required");
      }
      if (query.starred === "true" && !isSignedIn(caller)) throw ApiError.unauthorized(false);
      if (query.starred === "true") return { repositories: [] }; // stars are not kept yet
      // next_page is the last name of the previous page (Quay encrypts its cursor; ours is plain).
      const after = query.next_page ? Buffer.from(query.next_page, "base64url").toString("utf8") : undefined;
      const visible: string[] = [];
      let more = false;
      for (const name of ctx.stores.repositories.list(after, undefined)) {
        if (namespace && !name.startsWith(`${namespace}/`)) continue;
        const standing = ctx.roles.standing(caller.identity, name);
        const ok = includePublic ? ctx.roles.isPublic(name) || roleAtLeast(standing.role, "read") : roleAtLeast(standing.role, "read");
        if (!ok) continue;
        if (visible.length === PAGE_SIZE) {
          more = true;
          break;
        }
        visible.push(name);
      }
      const rows = ctx.stores.repositories.details(visible).sort((a, b) => a.fullName.localeCompare(b.fullName));
      return {
        repositories: rows.map((r) => summary(r, caller)),
        ...(more ? { next_page: Buffer.from(visible[visible.length - 1]!).toString("base64url") } : {}),
      };
    })
    .post("/api/v1/repository", ({ caller, body, set }) => {
      const b = parseBody(CreateBody, body);
      if (!isSignedIn(caller)) throw ApiError.unauthorized(false);
      const namespace = b.namespace ?? (caller.identity.kind === "user" ? caller.identity.user.username : "");
      const full = `${namespace}/${b.repository}`;
      if (!isValidRepoName(full)) throw ApiError.invalidRequest("Invalid repository name");
      const standing = ctx.roles.standing(caller.identity, full);
      // Permission before existence (as Quay): "already exists" must not reveal private repositories.
      if (!standing.canCreateInNamespace) throw ApiError.unauthorized(true);
      if (standing.exists) throw ApiError.invalidRequest("Repository already exists");
      const row = ctx.stores.repositories.ensure(full, b.visibility);
      ctx.stores.repositories.setDescription(row.id, b.description);
      if (caller.identity.kind === "user") ctx.stores.permissions.set(row.id, { userId: caller.identity.user.id }, "admin");
      set.status = 201;
      return { namespace, name: b.repository, kind: "image" };
    })
    .get("/api/v1/repository/*", ({ caller, params, query }) => {
      const permPath = splitPermissionPath(params["*"], isRepo);
      if (permPath) return readPermissions(ctx, caller, permPath);
      const tagPath = splitTagPath(params["*"], "list");
      if (tagPath) return listTags(ctx, caller, tagPath.repo, query);
      const { repo } = splitRepoPath(params["*"]);
      const standing = requireRepoRole(caller, ctx.roles, repo, "read");
      const [r] = ctx.stores.repositories.details([standing.repo]);
      const view: Record<string, unknown> = {
        ...summary(r!, caller),
        is_organization: r!.namespaceKind === "org",
        status_token: "",
        trust_enabled: false,
        tag_expiration_s: 1209600,
        is_free_account: true,
        can_write: roleAtLeast(standing.role, "write"),
        can_admin: roleAtLeast(standing.role, "admin"),
      };
      if (query.includeTags !== "false") {
        const tags: Record<string, unknown> = {};
        for (const name of ctx.stores.tags.list(r!.id, undefined, 500)) {
          const m = ctx.stores.manifests.getByTag(r!.id, name);
          if (m) tags[name] = { name, size: m.size, manifest_digest: m.digest };
        }
        view.tags = tags;
      }
      return view;
    })
    .put("/api/v1/repository/*", ({ caller, params, body }) => {
      const permPath = splitPermissionPath(params["*"], isRepo);
      if (permPath) return putPermission(ctx, caller, permPath, body);
      const tagPath = splitTagPath(params["*"], "tag");
      if (tagPath) return putTag(ctx, caller, tagPath.repo, tagPath.tag, body);
      const { repo } = splitRepoPath(params["*"]);
      const standing = requireRepoRole(caller, ctx.roles, repo, "write");
      ctx.stores.repositories.setDescription(standing.repoId!, parseBody(UpdateBody, body).description);
      return { success: true };
    })
    .post("/api/v1/repository/*", ({ caller, params, body }) => {
      const tagPath = splitTagPath(params["*"], "restore");
      if (tagPath) return restoreTag(ctx, caller, tagPath.repo, tagPath.tag, body);
      const { repo, suffix } = splitRepoPath(params["*"], ["changevisibility"]);
      if (suffix !== "changevisibility") throw ApiError.notFound();
      const standing = requireRepoRole(caller, ctx.roles, repo, "admin");
      ctx.stores.repositories.setVisibility(standing.repo, parseBody(VisibilityBody, body).visibility);
      return { success: true };
    })
    .delete("/api/v1/repository/*", ({ caller, params, set }) => {
      const permPath = splitPermissionPath(params["*"], isRepo);
      if (permPath) {
        deletePermission(ctx, caller, permPath);
        set.status = 204;
        return "";
      }
      const tagPath = splitTagPath(params["*"], "tag");
      if (tagPath) return deleteTag(ctx, caller, tagPath.repo, tagPath.tag);
      const { repo } = splitRepoPath(params["*"]);
      const standing = requireRepoRole(caller, ctx.roles, repo, "admin");
      ctx.stores.repositories.delete(standing.repoId!);
      set.status = 204;
      return "";
    });
}
