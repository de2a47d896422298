// Tags and their history (Quay's time machine, reference quay-api.md §2.6): list periods, create or
// move a tag, set its expiry, end it, restore an earlier target.
import { Type } from "@sinclair/typebox";
import { isIndexMediaType, isValidTag } from "../oci";
import type { TagPeriod } from "../store/meta/tags";
import { parseBody } from "./body";
import { Elysia } from "elysia";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { v1Plugin } from "./macros";
import { v1Options } from "./session";
import { rfc2822 } from "./views";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

const PutBody = Type.Object({
  manifest_digest: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  expiration: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
const RestoreBody = Type.Object({ manifest_digest: Type.String({ minLength: 1 }) });

type Query = Record<string, string | undefined>;

function positiveInt(query: Query, field: string, fallback: number): number {
  const raw = query[field];
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw)) throw ApiError.invalidRequest(`${field}: must be an integer`, { field });
  return Number(raw);
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
    size: list ? null : t.size,
    last_modified: rfc2822(t.startMs),
    ...(end !== undefined ? { expiration: rfc2822(end) } : {}),
  };
}

function requireTagName(tag: string): void {
  if (!isValidTag(tag)) throw ApiError.invalidRequest(`Invalid tag name: ${JSON.stringify(tag.slice(0, 140))}`, { field: "tag" });
}

const jsonResponse = (value: unknown, status: number) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });

export function tagRoutes(ctx: V1Context) {
  const writer = { requireRepoWrite: true } as const;
  return new Elysia(v1Options(ctx, "berth-v1-tag"))
    .use(v1Plugin(ctx))
    .get(
      "/api/v1/repository/:repository/tag/",
      ({ repo, query }) => {
        // Periods newest first, page-number pagination with `has_additional`.
        const page = Math.max(1, positiveInt(query, "page", 1));
        const limit = Math.min(MAX_LIMIT, Math.max(1, positiveInt(query, "limit", DEFAULT_LIMIT)));
        const rows = ctx.stores.tags.history(repo.repoId!, {
          name: query.specificTag || undefined,
          onlyActive: query.onlyActiveTags === "true",
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
      ({ repo, params, body }) => {
        // `manifest_digest` creates or moves the tag; `expiration` (unix seconds or null) sets its expiry.
        requireTagName(params.tag);
        const b = parseBody(PutBody, body);
        const repoId = repo.repoId!;
        if (typeof b.manifest_digest === "string") {
          if (ctx.stores.tags.pointAt(repoId, params.tag, b.manifest_digest) !== "ok") throw ApiError.notFound("Could not find manifest");
        }
        if (b.expiration !== undefined) {
          const expiresMs = b.expiration === null ? null : Math.round(b.expiration * 1000);
          if (!ctx.stores.tags.setExpiry(repoId, params.tag, expiresMs)) throw ApiError.notFound("Could not find tag");
        }
        return jsonResponse("Updated", 201);
      },
      { nickname: "changeTag", ...writer },
    )
    .delete(
      "/api/v1/repository/:repository/tag/:tag",
      ({ repo, params }) => {
        // Ends the live period; its history stays.
        requireTagName(params.tag);
        if (!ctx.stores.tags.end(repo.repoId!, params.tag)) throw ApiError.notFound("Could not find tag");
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteFullTag", ...writer },
    )
    .post(
      "/api/v1/repository/:repository/tag/:tag/restore",
      ({ repo, params, body }) => {
        // Points the tag back at a manifest it pointed at before.
        requireTagName(params.tag);
        const b = parseBody(RestoreBody, body);
        if (ctx.stores.tags.restore(repo.repoId!, params.tag, b.manifest_digest) !== "ok") {
          throw ApiError.notFound("Could not find manifest in this tag's history");
        }
        return {};
      },
      { nickname: "restoreTag", ...writer },
    );
}
