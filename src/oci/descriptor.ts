// Descriptors (image-spec descriptor.md): the typed pointers manifests use to reference content.
// Validation reports the JSON path of the bad field ("layers[2].digest: …") so a client author
// can find the mistake without guessing.

import { parseDigest } from "./digest.ts";
import { isValidMediaType } from "./mediaTypes.ts";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: unknown;
  data?: string;
  urls?: string[];
}

export type FieldResult<T> = { ok: true; value: T } | { ok: false; message: string };

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function checkMediaTypeField(v: unknown, path: string): FieldResult<string> {
  if (typeof v !== "string" || !isValidMediaType(v)) {
    return { ok: false, message: `${path} must be a media type string such as "application/vnd.oci.image.layer.v1.tar+gzip"` };
  }
  return { ok: true, value: v };
}

export function checkAnnotations(v: unknown, path: string): FieldResult<Record<string, string>> {
  if (!isJsonObject(v) || !Object.values(v).every((x) => typeof x === "string")) {
    return { ok: false, message: `${path} must be an object whose values are all strings` };
  }
  return { ok: true, value: v as Record<string, string> };
}

export function parseDescriptor(v: unknown, path: string): FieldResult<Descriptor> {
  if (!isJsonObject(v)) return { ok: false, message: `${path} must be a descriptor object` };

  if (v.mediaType === undefined) return { ok: false, message: `${path}.mediaType is required` };
  const mediaType = checkMediaTypeField(v.mediaType, `${path}.mediaType`);
  if (!mediaType.ok) return mediaType;

  if (typeof v.digest !== "string") return { ok: false, message: `${path}.digest must be a digest string` };
  const digest = parseDigest(v.digest);
  if (!digest.ok) return { ok: false, message: `${path}.digest: ${digest.message}` };

  const size = v.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    return { ok: false, message: `${path}.size must be a non-negative integer (the content length in bytes)` };
  }

  const d: Descriptor = { mediaType: mediaType.value, digest: digest.digest.value, size };

  if (v.artifactType !== undefined) {
    const at = checkMediaTypeField(v.artifactType, `${path}.artifactType`);
    if (!at.ok) return at;
    d.artifactType = at.value;
  }
  if (v.annotations !== undefined) {
    const a = checkAnnotations(v.annotations, `${path}.annotations`);
    if (!a.ok) return a;
    d.annotations = a.value;
  }
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || !v.urls.every((u) => typeof u === "string")) {
      return { ok: false, message: `${path}.urls must be an array of strings` };
    }
    d.urls = v.urls;
  }
  if (v.data !== undefined) {
    if (typeof v.data !== "string") return { ok: false, message: `${path}.data must be a base64 string` };
    d.data = v.data;
  }
  if (v.platform !== undefined) {
    if (!isJsonObject(v.platform)) return { ok: false, message: `${path}.platform must be an object` };
    d.platform = v.platform;
  }
  return { ok: true, value: d };
}

/** An array of descriptors, each reported by index ("layers[2]…"). */
export function parseDescriptorList(v: unknown, path: string): FieldResult<Descriptor[]> {
  if (!Array.isArray(v)) return { ok: false, message: `${path} must be an array of descriptors` };
  const out: Descriptor[] = [];
  for (let i = 0; i < v.length; i++) {
    const d = parseDescriptor(v[i], `${path}[${i}]`);
    if (!d.ok) return d;
    out.push(d.value);
  }
  return { ok: true, value: out };
}
