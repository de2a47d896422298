// What API v1's manifest view says about a stored manifest (Quay's getRepoManifest): its config
// media type, the compressed size of its layers, and the image's layers as Quay lists them, one
// per entry of the config's history (empty-layer entries stand for the empty layer blob). Pure:
// the caller reads the config blob when `needsConfig` says so.

import { isJsonObject } from "./descriptor.ts";
import { DOCKER_MANIFEST, isIndexMediaType, OCI_MANIFEST } from "./mediaTypes.ts";
import { OCI_IMAGE_CONFIG } from "./imageLabels.ts";
import { jsonDepthWithin } from "./jsonBounds.ts";

/** The gzipped empty tar that history entries with `empty_layer` stand for, as Quay reports them. */
export const EMPTY_LAYER_BLOB_DIGEST = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4";
export const EMPTY_LAYER_SIZE = 32;

/**
 * Configs are untrusted and up to 4 MiB: a history longer than this (real images have a few
 * hundred entries at most) is not listed, or one small config would make every view tens of
 * megabytes; the view then lists the filesystem layers.
 */
export const MAX_HISTORY_ENTRIES = 1000;
/** Commands are lists of strings; anything nested deeper is not decoded (see normaliseCommand). */
const MAX_COMMAND_DEPTH = 4;

/** Layers clients fetch from `urls` rather than from the registry. */
const REMOTE_LAYER_TYPES = new Set([
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
]);

export interface FilesystemLayer {
  digest: string;
  size: number;
  mediaType: string;
  urls: string[] | null;
}

export interface ManifestOutline {
  isList: boolean;
  /** null for indexes and manifest lists. */
  configMediaType: string | null;
  /** The sum of the layers' sizes; 0 for indexes and manifest lists. */
  layersCompressedSize: number;
  layers: FilesystemLayer[];
  /** The config blob to read for the layer list: only images (not lists, not other artifacts) have one. */
  needsConfig: { digest: string; size: number } | null;
}

export interface ImageLayer {
  compressedSize: number;
  isRemote: boolean;
  urls: string[] | null;
  /** Quay's normalised command: `created_by` parsed as JSON when it is, else wrapped in an array. */
  command: unknown;
  comment: string | null;
  author: string | null;
  blobDigest: string;
  createdMs: number | null;
}

/** Reads a stored (already validated) manifest. */
export function outlineManifest(bytes: Uint8Array, mediaType: string): ManifestOutline {
  const empty: ManifestOutline = { isList: isIndexMediaType(mediaType), configMediaType: null, layersCompressedSize: 0, layers: [], needsConfig: null };
  if (empty.isList) return empty;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return empty;
  }
  if (!isJsonObject(body)) return empty;
  const config = isJsonObject(body.config) ? body.config : {};
  const layers = (Array.isArray(body.layers) ? body.layers : []).filter(isJsonObject).map(
    (l): FilesystemLayer => ({
      digest: String(l.digest),
      size: typeof l.size === "number" ? l.size : 0,
      mediaType: String(l.mediaType ?? ""),
      urls: Array.isArray(l.urls) ? l.urls.filter((u): u is string => typeof u === "string") : null,
    }),
  );
  const configMediaType = typeof config.mediaType === "string" ? config.mediaType : null;
  // Docker schema 2 manifests are always images; OCI manifests only with an image config
  // (Quay lists no layers for other artifacts, such as Helm charts or signatures).
  const isImage = mediaType === DOCKER_MANIFEST || (mediaType === OCI_MANIFEST && configMediaType === OCI_IMAGE_CONFIG);
  const needsConfig =
    isImage && typeof config.digest === "string" && typeof config.size === "number" ? { digest: config.digest, size: config.size } : null;
  return {
    isList: false,
    configMediaType,
    layersCompressedSize: layers.reduce((sum, l) => sum + l.size, 0),
    layers,
    needsConfig,
  };
}

interface History {
  created?: unknown;
  created_by?: unknown;
  author?: unknown;
  comment?: unknown;
  empty_layer?: unknown;
}

/**
 * The image's layers from base to leaf. With a usable history, one entry per history line (as
 * Quay); without one (or one that does not fit the layers, where Quay answers 404), one per
 * filesystem layer, the leaf described by the config itself. `config` undefined: unreadable.
 */
export function imageLayers(outline: ManifestOutline, config: Uint8Array | undefined): ImageLayer[] {
  const parsed = config ? parseConfig(config) : undefined;
  const history = parsed && Array.isArray(parsed.history) ? parsed.history.filter(isJsonObject) : [];
  const fromHistory = history.length && history.length <= MAX_HISTORY_ENTRIES ? layersFromHistory(outline.layers, history as History[]) : undefined;
  if (fromHistory) return fromHistory;
  const inner = parsed && isJsonObject(parsed.config) ? parsed.config : {};
  const synthesized: History = { created: parsed?.created, created_by: inner.Cmd, author: parsed?.author };
  return outline.layers.map((l, i) => layerOf(l, i === outline.layers.length - 1 ? synthesized : {}));
}

function layersFromHistory(layers: FilesystemLayer[], history: History[]): ImageLayer[] | undefined {
  const filled = history.filter((h) => h.empty_layer !== true).length;
  if (filled !== layers.length) return undefined;
  let next = 0;
  return history.map((h) => (h.empty_layer === true ? layerOf(undefined, h) : layerOf(layers[next++]!, h)));
}

function layerOf(layer: FilesystemLayer | undefined, h: History): ImageLayer {
  return {
    compressedSize: layer ? layer.size : EMPTY_LAYER_SIZE,
    isRemote: layer ? REMOTE_LAYER_TYPES.has(layer.mediaType) : false,
    urls: layer ? layer.urls : null,
    command: normaliseCommand(h.created_by),
    comment: typeof h.comment === "string" ? h.comment : null,
    author: typeof h.author === "string" ? h.author : null,
    blobDigest: layer ? layer.digest : EMPTY_LAYER_BLOB_DIGEST,
    createdMs: typeof h.created === "string" && !Number.isNaN(Date.parse(h.created)) ? Date.parse(h.created) : null,
  };
}

/**
 * Quay's rule: a command that is JSON (schema 1 style) is decoded, any other string wrapped in a
 * list. Bounded: JSON nested deeper than a command can be stays the string it was, and a
 * non-string command nested that deep is none (either would overflow the stack when the view
 * is serialised).
 */
function normaliseCommand(command: unknown): unknown {
  if (Array.isArray(command)) return command.length && jsonDepthWithin(command, MAX_COMMAND_DEPTH) ? command : null;
  if (typeof command !== "string" || command === "") return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(command);
  } catch {
    return [command];
  }
  return jsonDepthWithin(decoded, MAX_COMMAND_DEPTH) ? decoded : [command];
}

function parseConfig(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    return isJsonObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
