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
import { roleAtLeast } from "../perm/roles";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

const PutBody = Type.Object({
  manifest_digest: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  expiration: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  immutable: Type.Optional(Type.Boolean()),
});
const RestoreBody = Type.Object({ manifest_digest: Type.String({ minLength: 1 }) });

/** Quay's TagImmutable: 409 naming what was refused. */
function immutable(operation: string, tag: string): ApiError {
  return new ApiError("TagImmutable", `Cannot ${operation} immutable tag '${tag}'`);
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
      ({ repo, query }) => {
        // Periods newest first, page-number pagination with `has_additional`.
        const page = Math.max(1, intQuery(query, "page", 1));
        const limit = Math.min(MAX_LIMIT, Math.max(1, intQuery(query, "limit", DEFAULT_LIMIT)));
        const rows = ctx.stores.tags.history(repo.repoId!, {
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
      ({ repo, params, body, audit }) => {
        // `expiration` (unix seconds or null) sets the live tag's expiry; `manifest_digest` creates or
        // moves the tag (Quay's order); `immutable` protects it from both (clearing needs admin).
        requireTagName(params.tag);
        const b = parseBody(PutBody, body);
        const repoId = repo.repoId!;
        const tags = ctx.stores.tags;
        const target = { repo: { id: repoId, name: repo.repo } };
        const tag = params.tag;
        if (b.immutable === false && !roleAtLeast(repo.role, "admin")) throw ApiError.unauthorized(true);
        // Lifting the protection comes first, so one request can unlock and move.
        if (b.immutable === false) {
          if (tags.setImmutable(repoId, tag, false) === "notLive") throw ApiError.notFound("Could not find tag");
          audit("change_tag_immutability", target, { tag, immutable: false });
        }
        if (b.expiration !== undefined) {
          const expiresMs = b.expiration === null ? null : Math.round(b.expiration * 1000);
          // As Quay: an expiry must lie ahead (ending a tag now is DELETE's job).
          if (expiresMs !== null && expiresMs <= Date.now()) throw ApiError.invalidRequest("expiration: must be in the future", { field: "expiration" });
          const oldExpiry = ctx.stores.tags.history(repoId, { name: tag, onlyActive: true, offset: 0, limit: 1 })[0]?.expiresMs;
          const changed = tags.changeExpiry(repoId, tag, expiresMs);
          if (changed === "notLive") throw ApiError.notFound("Could not find tag");
          if (changed === "immutable") throw immutable("set expiration on", tag);
          if (!(expiresMs === null && oldExpiry === undefined)) {
            audit("change_tag_expiration", target, {
              tag,
              expiration_date: b.expiration,
              old_expiration_date: oldExpiry === undefined ? null : Math.floor(oldExpiry / 1000),
            });
          }
        }
        if (typeof b.manifest_digest === "string") {
          const before = ctx.stores.manifests.getByTag(repoId, tag)?.digest;
          const moved = tags.pointAt(repoId, tag, b.manifest_digest);
          if (moved === "unknownManifest") throw ApiError.notFound("Could not find manifest");
          if (moved === "immutable") throw immutable("move", tag);
          if (before === undefined) audit("create_tag", target, { tag, manifest_digest: b.manifest_digest });
          else audit("move_tag", target, { tag, manifest_digest: b.manifest_digest, original_manifest_digest: before });
        }
        if (b.immutable === true) {
          const made = tags.setImmutable(repoId, tag, true);
          if (made === "notLive") throw ApiError.notFound("Could not find tag");
          if (made === "expiring") throw ApiError.invalidRequest("Cannot make a tag with an expiration immutable", { field: "immutable" });
          audit("change_tag_immutability", target, { tag, immutable: true });
        }
        return jsonResponse("Updated", 201);
      },
      { nickname: "changeTag", ...writer, audit: ["create_tag", "move_tag", "change_tag_expiration", "change_tag_immutability"] },
    )
    .delete(
      "/api/v1/repository/:repository/tag/:tag",
      ({ repo, params, audit }) => {
        // Ends the live period; its history stays.
        requireTagName(params.tag);
        const before = ctx.stores.manifests.getByTag(repo.repoId!, params.tag)?.digest;
        const ended = ctx.stores.tags.endLive(repo.repoId!, params.tag);
        if (ended === "notLive") throw ApiError.notFound("Could not find tag");
        if (ended === "immutable") throw immutable("delete", params.tag);
        audit("delete_tag", { repo: { id: repo.repoId, name: repo.repo } }, { tag: params.tag, manifest_digest: before });
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteFullTag", ...writer, audit: "delete_tag" },
    )
    .post(
      "/api/v1/repository/:repository/tag/:tag/restore",
      ({ repo, params, body, audit }) => {
        // Points the tag back at a manifest it pointed at before.
        requireTagName(params.tag);
        const b = parseBody(RestoreBody, body);
        const before = ctx.stores.manifests.getByTag(repo.repoId!, params.tag)?.digest;
        const restored = ctx.stores.tags.restore(repo.repoId!, params.tag, b.manifest_digest);
        if (restored === "unknownManifest") throw ApiError.notFound("Could not find manifest in this tag's history");
        if (restored === "immutable") throw immutable("restore", params.tag);
        audit("revert_tag", { repo: { id: repo.repoId, name: repo.repo } }, {
          tag: params.tag,
          manifest_digest: b.manifest_digest,
          ...(before ? { original_manifest_digest: before } : {}),
        });
        return {};
      },
      { nickname: "restoreTag", ...writer, audit: "revert_tag" },
    );
}
