// Where a pushed manifest's labels come from, as Quay reads them: a Docker schema 2 image takes
// the Labels of its config; an OCI image takes its config's Labels with the manifest's
// annotations laid over them; any other OCI manifest (an artifact) takes its annotations only;
// indexes carry none. Pure: the caller fetches the config blob when asked to.

import { isJsonObject } from "./descriptor.ts";
import { DOCKER_MANIFEST, OCI_MANIFEST } from "./mediaTypes.ts";

export const OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";

export type ManifestLabelSource =
  | { kind: "none" }
  /** Labels known from the manifest alone. */
  | { kind: "annotations"; labels: Record<string, string> }
  /** The config blob must be read; `annotations` then win over its labels. */
  | { kind: "config"; configDigest: string; configSize: number; annotations: Record<string, string> };

export function manifestLabelSource(manifestBytes: Uint8Array, mediaType: string): ManifestLabelSource {
  if (mediaType !== OCI_MANIFEST && mediaType !== DOCKER_MANIFEST) return { kind: "none" };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch {
    return { kind: "none" };
  }
  if (!isJsonObject(body)) return { kind: "none" };
  const annotations = mediaType === OCI_MANIFEST ? stringEntries(body.annotations) : {};
  const config = body.config;
  const isImage =
    isJsonObject(config) &&
    typeof config.digest === "string" &&
    typeof config.size === "number" &&
    (mediaType === DOCKER_MANIFEST || config.mediaType === OCI_IMAGE_CONFIG);
  if (!isImage) return Object.keys(annotations).length ? { kind: "annotations", labels: annotations } : { kind: "none" };
  return { kind: "config", configDigest: config.digest as string, configSize: config.size as number, annotations };
}

/** The image config's `config.Labels` (or a top-level `Labels`, which some builders write). */
export function configLabels(configBytes: Uint8Array): Record<string, string> {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(configBytes));
  } catch {
    return {};
  }
  if (!isJsonObject(body)) return {};
  const inner = isJsonObject(body.config) ? stringEntries(body.config.Labels) : {};
  return Object.keys(inner).length ? inner : stringEntries(body.Labels);
}

/** Labels of an image: the config's, then the manifest's annotations over them. */
export function imageLabels(fromConfig: Record<string, string>, annotations: Record<string, string>): Record<string, string> {
  return { ...fromConfig, ...annotations };
}

/** String-valued entries with a non-empty key (Dockerfiles can produce an empty one; it means nothing). */
function stringEntries(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isJsonObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (k !== "" && typeof v === "string") out[k] = v;
  return out;
}
