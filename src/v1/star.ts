// Starred repositories (Quay's /user/starred): a user's bookmarks, listed only while the user
// may still read them.
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { mayReadRepo } from "../perm/repoAccess";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { requireRepoRole } from "./guards";
import { nameCursor } from "./query";

const PAGE_SIZE = 100;
const StarBody = Type.Object({ namespace: Type.String({ minLength: 1 }), repository: Type.String({ minLength: 1 }) });

export function starRoutes(api: V1App, ctx: V1Context) {
  return api
    .get(
      "/api/v1/user/starred",
      async ({ caller, user, query }) => {
        const after = nameCursor.read(query.next_page);
        const starred = await ctx.stores.stars.starredBy(user.id, after, Number.MAX_SAFE_INTEGER);        const names: string[] = [];
        for (const name of starred) if (mayReadRepo((await ctx.roles.standing(caller.identity, name)).role)) names.push(name);
        const page = names.slice(0, PAGE_SIZE);
        const rows = (await ctx.stores.repositories.details(page)).sort((a, b) => a.fullName.localeCompare(b.fullName));
        return {
          repositories: rows.map((r) => ({ namespace: r.namespace, name: r.name, description: r.description ?? "", is_public: r.visibility === "public" })),
          ...(names.length > PAGE_SIZE ? { next_page: nameCursor.write(page[page.length - 1]!) } : {}),
        };
      },
      { nickname: "listStarredRepos", requireUserRead: true },
    )
    .post(
      "/api/v1/user/starred",
      async ({ caller, user, body, set }) => {
        const b = parseBody(StarBody, body);
        const standing = await requireRepoRole(caller, ctx.roles, `${b.namespace}/${b.repository}`, "read");
        await ctx.stores.stars.star(user.id, standing.repoId!);
        set.status = 201;
        return { namespace: b.namespace, repository: b.repository };
      },
      // Quay writes no audit entry for stars.
      { nickname: "createStar", requireUserAdmin: true },
    )
    .delete(
      "/api/v1/user/starred/:repository",
      async ({ user, params, set }) => {
        const repo = await ctx.stores.repositories.find(params.repository);
        if (!repo || !(await ctx.stores.stars.unstar(user.id, repo.id))) throw ApiError.notFound();
        set.status = 204;
        return "";
      },
      { nickname: "deleteStar", requireUserAdmin: true },
    );
}
