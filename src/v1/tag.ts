// Tags and their history (Quay's time machine, reference quay-api.md §2.6): list periods, create or
// move a tag, set its expiry, end it, restore an earlier target.
import { Type } from "@sinclair/typebox";
import { isIndexMediaType, isValidTag } from "../oci";
import type { TagPeriod } from "../store/meta/tags";
import { parseBody } from "./body";
import type { V1App } from "./app";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { intQuery, queryFlag } from "./query";
import { jsonResponse, rfc2822 } from "./views";
import { mayClearTagImmutability } from "../perm/repoAccess";
import type { TagOutcome } from "../registry/outcomes";
import { callerActor } from "./actor";
import { refusalError } from "./registryRefusals";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

const PutBody = Type.Object({
  manifest_digest: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  expiration: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  immutable: Type.Optional(Type.Boolean()),
});
const RestoreBody = Type.Object({ manifest_digest: Type.String({ minLength: 1 }) });
const ExpireBody = Type.Object({
  manifest_digest: Type.Optional(Type.String({ minLength: 1 })),
  include_submanifests: Type.Optional(Type.Boolean()),
  is_alive: Type.Optional(Type.Boolean()),
});

/** A tag operation's outcome as Quay answers it. */
function tagError(outcome: Exclude<TagOutcome, { kind: "ok" }>): ApiError {
  switch (outcome.kind) {
    case "notLive":
      return ApiError.notFound("Could not find tag");
    case "unknownManifest":
      return ApiError.notFound("Could not find manifest");
    default:
      return refusalError(outcome);
  }
}

/** Quay's tag `size`: the layers' compressed total, null for a manifest list (it has no layers of its own). */
export function tagSize(t: TagPeriod): number | null {
  return isIndexMediaType(t.mediaType) ? null : t.size;
}

function tagView(t: TagPeriod) {
  const end = t.endMs ?? t.expiresMs;
  const list = isIndexMediaType(t.mediaType);
  return {
    name: t.name,
    reversion: false,
    start_ts: Math.floor(t.startMs / 1000),
    ...(end !== undefined ? { end_ts: Math.floor(end / 1000) } : {}),
    manifest_digest: t.digest,
    is_manifest_list: list,
    size: tagSize(t),
    last_modified: rfc2822(t.startMs),
    ...(end !== undefined ? { expiration: rfc2822(end) } : {}),
    immutable: t.immutable,
  };
}

function requireTagName(tag: string): void {
  if (!isValidTag(tag)) throw ApiError.invalidRequest(`Invalid tag name: ${JSON.stringify(tag.slice(0, 140))}`, { field: "tag" });
}

export function tagRoutes(api: V1App, ctx: V1Context) {
  const writer = { requireRepoWrite: true } as const;
  return api
    .get(
      "/api/v1/repository/:repository/tag/",
      async ({ repo, query }) => {
        // Periods newest first, page-number pagination with `has_additional`.
        const page = Math.max(1, intQuery(query, "page", 1));
        const limit = Math.min(MAX_LIMIT, Math.max(1, intQuery(query, "limit", DEFAULT_LIMIT)));
        const rows = await ctx.stores.tags.history(repo.repoId!, {
          name: query.specificTag || undefined,
          onlyActive: queryFlag(query, "onlyActiveTags"),
          offset: (page - 1) * limit,
          limit: limit + 1,
        });
        const more = rows.length > limit;
        return { tags: rows.slice(0, limit).map(tagView), page, has_additional: more };
      },
      { nickname: "listRepoTags", requireRepoRead: { allowForGlobalReadonlySuperuser: true } },
    )
    .put(
      "/api/v1/repository/:repository/tag/:tag",
      async ({ caller, request, repo, params, body }) => {
        // `expiration` (unix seconds or null) sets the live tag's expiry; `manifest_digest` creates or
        // moves the tag; `immutable` protects it from both. All of it or none (one operation).
        requireTagName(params.tag);
        const b = parseBody(PutBody, body);
        if (b.immutable === false && !mayClearTagImmutability(repo.role)) throw ApiError.unauthorized(true);
        const outcome = await ctx.registry.changeTag({
          repo: { id: repo.repoId!, name: repo.repo },
          tag: params.tag,
          actor: callerActor(caller, request),
          change: {
            ...(typeof b.manifest_digest === "string" ? { digest: b.manifest_digest } : {}),
            ...(b.expiration !== undefined ? { expiresMs: b.expiration === null ? null : Math.round(b.expiration * 1000) } : {}),
            ...(b.immutable !== undefined ? { immutable: b.immutable } : {}),
          },
        });
        if (outcome.kind !== "ok") throw tagError(outcome);
        return jsonResponse("Updated", 201);
      },
      { nickname: "changeTag", ...writer, audit: ["create_tag", "move_tag", "change_tag_expiration", "change_tag_immutability"] },
    )
    .delete(
      "/api/v1/repository/:repository/tag/:tag",
      async ({ caller, request, repo, params }) => {
        // Ends the live period; its history stays.
        requireTagName(params.tag);
        const outcome = await ctx.registry.deleteTag({ repo: { id: repo.repoId!, name: repo.repo }, tag: params.tag, actor: callerActor(caller, request) });
        if (outcome.kind !== "ok") throw tagError(outcome);
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteFullTag", ...writer, audit: "delete_tag" },
    )
    .post(
      "/api/v1/repository/:repository/tag/:tag/restore",
      async ({ caller, request, repo, params, body }) => {
        // Points the tag back at a manifest it pointed at before.
        requireTagName(params.tag);
        const b = parseBody(RestoreBody, body);
        const outcome = await ctx.registry.restoreTag({
          repo: { id: repo.repoId!, name: repo.repo },
          tag: params.tag,
          digest: b.manifest_digest,
          actor: callerActor(caller, request),
        });
        if (outcome.kind === "unknownManifest") throw ApiError.notFound("Could not find manifest in this tag's history");
        if (outcome.kind !== "ok") throw tagError(outcome);
        return {};
      },
      { nickname: "restoreTag", ...writer, audit: "revert_tag" },
    )
    .post(
      "/api/v1/repository/:repository/tag/:tag/expire",
      async ({ caller, request, repo, params, body }) => {
        // Quay's permanent deletion: the live tag (is_alive) or its ended periods at a manifest
        // leave the time machine now, and the next collection frees what only they kept. An
        // index's children go with it (`include_submanifests` has nothing more to do here).
        requireTagName(params.tag);
        const b = parseBody(ExpireBody, body);
        const alive = b.is_alive ?? false;
        if (!alive && b.manifest_digest === undefined) throw ApiError.invalidRequest("manifest_digest required when is_alive set to false");
        const outcome = await ctx.registry.removeTagFromTimeMachine({
          repo: { id: repo.repoId!, name: repo.repo },
          tag: params.tag,
          alive,
          ...(alive ? {} : { digest: b.manifest_digest }),
          actor: callerActor(caller, request),
        });
        if (outcome.kind === "notLive" || outcome.kind === "unknownManifest") throw ApiError.notFound();
        if (outcome.kind !== "ok") throw refusalError(outcome);
        return jsonResponse("", 200);
      },
      { nickname: "removeTagFromTimemachine", ...writer, audit: "permanently_delete_tag" },
    );
}
