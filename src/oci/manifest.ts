// Validates a pushed manifest (OCI image manifest / index, Docker schema 2 manifest / list) and
// extracts what the registry needs: the blobs it must already hold, the child manifests it must
// already hold, and the subject/artifactType that feed the referrers API.

import { checkAnnotations, checkMediaTypeField, isJsonObject, parseDescriptor, parseDescriptorList } from "./descriptor.ts";
import type { Descriptor } from "./descriptor.ts";
import { isIndexMediaType, OCI_INDEX, OCI_MANIFEST } from "./mediaTypes.ts";
import { resolveManifestMediaType } from "./manifestMediaType.ts";
import { jsonDepthWithin } from "./jsonBounds.ts";

/**
 * The deepest nesting a manifest may have. Real ones nest 5 deep (index → manifests[] →
 * descriptor → platform → os.features[]); anything kept from a much deeper document (a platform
 * object nested 100,000 deep) overflows the stack of whatever serialises it later.
 */
export const MAX_MANIFEST_DEPTH = 64;

export interface ParsedManifest {
  mediaType: string;
  kind: "image" | "index";
  /** For referrers: the artifactType field; for images without one, config.mediaType. */
  artifactType?: string;
  subject?: Descriptor;
  /** config + layers for images; [] for indexes. */
  blobs: Descriptor[];
  /** manifests[] of an index; [] for images. */
  children: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParseManifestResult =
  | { ok: true; manifest: ParsedManifest }
  | { ok: false; code: "MANIFEST_INVALID" | "UNSUPPORTED"; message: string; detail?: unknown };

type Invalid = Extract<ParseManifestResult, { ok: false }>;

function invalid(message: string): Invalid {
  return { ok: false, code: "MANIFEST_INVALID", message };
}

export function parseManifest(bytes: Uint8Array, contentType: string | null): ParseManifestResult {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return invalid("manifest is not valid JSON");
  }
  if (!isJsonObject(body)) return invalid("manifest is not valid JSON: expected a JSON object");
  if (!jsonDepthWithin(body, MAX_MANIFEST_DEPTH)) return invalid(`manifest nests deeper than ${MAX_MANIFEST_DEPTH} levels`);

  const resolved = resolveManifestMediaType(body, contentType);
  if (!resolved.ok) return invalid(resolved.message);
  const mediaType = resolved.mediaType;

  const parsed = isIndexMediaType(mediaType) ? parseIndex(body, mediaType) : parseImage(body, mediaType);
  return parsed.ok ? parsed : invalid(parsed.message);
}

type KindResult = { ok: true; manifest: ParsedManifest } | { ok: false; message: string };

function parseImage(body: Record<string, unknown>, mediaType: string): KindResult {
  if (body.manifests !== undefined) {
    return { ok: false, message: `a ${mediaType} manifest must not have a manifests field (is it an index?)` };
  }
  if (body.config === undefined) return { ok: false, message: "manifest config is required" };
  const config = parseDescriptor(body.config, "config");
  if (!config.ok) return config;
  if (body.layers === undefined) return { ok: false, message: "manifest layers is required (it may be an empty array)" };
  const layers = parseDescriptorList(body.layers, "layers");
  if (!layers.ok) return layers;

  const manifest: ParsedManifest = {
    mediaType,
    kind: "image",
    blobs: [config.value, ...layers.value],
    children: [],
  };
  const extras = parseOciExtras(body, mediaType, manifest);
  if (!extras.ok) return extras;
  manifest.artifactType ??= config.value.mediaType;
  return { ok: true, manifest };
}

function parseIndex(body: Record<string, unknown>, mediaType: string): KindResult {
  if (body.config !== undefined || body.layers !== undefined) {
    return { ok: false, message: `a ${mediaType} must not have config or layers (is it an image manifest?)` };
  }
  if (body.manifests === undefined) return { ok: false, message: "index manifests is required (it may be an empty array)" };
  const children = parseDescriptorList(body.manifests, "manifests");
  if (!children.ok) return children;

  const manifest: ParsedManifest = { mediaType, kind: "index", blobs: [], children: children.value };
  const extras = parseOciExtras(body, mediaType, manifest);
  if (!extras.ok) return extras;
  return { ok: true, manifest };
}

// artifactType, subject and annotations exist only in the OCI schemas (image-spec v1.1); the
// Docker schemas have no such fields, so there they are ignored rather than interpreted.
function parseOciExtras(
  body: Record<string, unknown>,
  mediaType: string,
  into: ParsedManifest,
): { ok: true } | { ok: false; message: string } {
  if (mediaType !== OCI_MANIFEST && mediaType !== OCI_INDEX) return { ok: true };
  if (body.artifactType !== undefined) {
    const at = checkMediaTypeField(body.artifactType, "artifactType");
    if (!at.ok) return at;
    into.artifactType = at.value;
  }
  if (body.subject !== undefined) {
    const subject = parseDescriptor(body.subject, "subject");
    if (!subject.ok) return subject;
    into.subject = subject.value;
  }
  if (body.annotations !== undefined) {
    const a = checkAnnotations(body.annotations, "annotations");
    if (!a.ok) return a;
    into.annotations = a.value;
  }
  return { ok: true };
}
