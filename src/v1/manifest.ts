// Manifests and their labels (reference quay-api.md §2.7): the manifest with its layers, and the
// labels on it: listed, read, added and removed over the API (those from the image stay).
import { Type } from "@sinclair/typebox";
import type { V1App } from "./app";
import { checkApiLabel, hasReservedPrefix, LABEL_MEDIA_TYPES } from "../oci";
import type { RepoStanding } from "../perm/repoRoles";
import { parseBody } from "./body";
import type { V1Context } from "./context";
import { ApiError } from "./errors";
import { labelView, manifestView } from "./manifestView";
import { jsonResponse } from "./views";

/** Quay's route only matches `<alg>:<hex>`; anything else is no route at all (404, whoever asks). */
const MANIFEST_REF = /^[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+$/;

/** Quay's VALID_LABEL_KEY_REGEX, as its message quotes it. */
const LABEL_KEY_REGEX_TEXT = "^[a-z0-9](([a-z0-9]|[-.](?![.-]))*[a-z0-9])?$";

// Quay's schema: all three required, media_type may be null (then inferred from the value).
const AddLabelBody = Type.Object({
  key: Type.String(),
  value: Type.String(),
  media_type: Type.Union([...LABEL_MEDIA_TYPES.map((m) => Type.Literal(m)), Type.Null()]),
});

/** Quay answers these with Flask-RESTful's `{"message": …}`. */
const badLabel = (message: string) => new ApiError("BadRequest", message);

const checkRef = ({ params }: { params: Record<string, string | undefined> }) => {
  if (!MANIFEST_REF.test(params.manifestref ?? "")) throw ApiError.notFound();
};

export function manifestRoutes(api: V1App, ctx: V1Context) {
  const manifestOf = async (repo: RepoStanding, ref: string) => {
    const m = await ctx.stores.manifests.getByDigest(repo.repoId!, ref);
    if (!m) throw ApiError.notFound();
    return m;
  };
  const read = { requireRepoRead: true, transform: checkRef } as const;
  const write = { requireRepoWrite: true, transform: checkRef } as const;
  const base = "/api/v1/repository/:repository/manifest/:manifestref";
  return api
    .get(base, async ({ repo, params }) => manifestView(ctx, await manifestOf(repo, params.manifestref)), { nickname: "getRepoManifest", ...read })
    .get(
      `${base}/labels`,
      async ({ repo, params, query }) => {
        const m = await manifestOf(repo, params.manifestref);
        return { labels: (await ctx.stores.labels.list(m.id, query.filter || undefined)).map(labelView) };
      },
      { nickname: "listManifestLabels", ...read },
    )
    .post(
      `${base}/labels`,
      async ({ repo, params, body, audit }) => {
        const b = parseBody(AddLabelBody, body);
        // Quay refuses a reserved prefix before it looks for the manifest, a bad key after.
        if (hasReservedPrefix(b.key)) throw badLabel("Label has a reserved prefix");
        const m = await manifestOf(repo, params.manifestref);
        const check = checkApiLabel(b.key, b.value, b.media_type);
        if (!check.ok) {
          if (check.reason === "invalidJson") throw badLabel("Label value is not valid JSON; use media type text/plain for other text");
          if (check.reason === "invalidMediaType") throw badLabel("Media type is invalid please use a valid media type: text/plain, application/json");
          throw badLabel(`Label is of an invalid format or missing please use ${LABEL_KEY_REGEX_TEXT} format for labels`);
        }
        const label = await ctx.stores.labels.add({ manifestId: m.id, key: b.key, value: b.value, mediaType: check.mediaType, sourceType: "api" });
        const logKeys = { id: label.uuid, key: label.key, value: label.value, manifest_digest: params.manifestref, media_type: label.mediaType };
        audit("manifest_label_add", { repo: { id: repo.repoId, name: repo.repo } }, logKeys);
        // Location as Flask's url_for writes it: a path, the name's slashes kept.
        const location = `/api/v1/repository/${repo.repo}/manifest/${params.manifestref}/labels/${label.uuid}`;
        return jsonResponse({ label: labelView(label) }, 201, { Location: location });
      },
      { nickname: "addManifestLabel", ...write, audit: "manifest_label_add" },
    )
    .get(
      `${base}/labels/:labelid`,
      async ({ repo, params }) => {
        const label = await ctx.stores.labels.get((await manifestOf(repo, params.manifestref)).id, params.labelid);
        if (!label) throw ApiError.notFound();
        return labelView(label);
      },
      { nickname: "getManifestLabel", ...read },
    )
    .delete(
      `${base}/labels/:labelid`,
      async ({ repo, params, audit }) => {
        const manifestId = (await manifestOf(repo, params.manifestref)).id;
        // Read first: the entry names the label's key and value, which go with the row.
        const label = await ctx.stores.labels.get(manifestId, params.labelid);
        if (!label) throw ApiError.notFound();
        const outcome = await ctx.stores.labels.delete(manifestId, params.labelid);
        if (outcome === "notFound") throw ApiError.notFound();
        // Labels from the image itself (or Berth's own) are not the API's to remove.
        if (outcome === "readOnly") throw badLabel("Cannot delete immutable label");
        const logKeys = { id: label.uuid, key: label.key, value: label.value, manifest_digest: params.manifestref };
        audit("manifest_label_delete", { repo: { id: repo.repoId, name: repo.repo } }, logKeys);
        return new Response(null, { status: 204 });
      },
      { nickname: "deleteManifestLabel", ...write, audit: "manifest_label_delete" },
    );
}
