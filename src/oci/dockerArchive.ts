// `docker save` archives (the "docker-archive" format): a manifest.json listing each image's
// config file, its layer tars and its RepoTags. Berth stores such an image as a Docker v2
// schema 2 manifest over the config and layers exactly as they are (their digests computed on
// import), so `docker pull` gets back the bytes that were saved.
import { DOCKER_MANIFEST } from "./mediaTypes.ts";
import { isJsonObject } from "./descriptor.ts";
import type { Descriptor } from "./descriptor.ts";

export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** One image of manifest.json: paths inside the archive. */
export interface DockerArchiveImage {
  config: string;
  layers: string[];
  repoTags: string[];
}

/** manifest.json's images, or what is wrong with it. */
export function parseDockerArchiveManifest(bytes: Uint8Array): { ok: true; images: DockerArchiveImage[] } | { ok: false; message: string } {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, message: "manifest.json is not valid JSON" };
  }
  if (!Array.isArray(body)) return { ok: false, message: "manifest.json is not a list of images" };
  const images: DockerArchiveImage[] = [];
  for (const [i, item] of body.entries()) {
    const where = `manifest.json[${i}]`;
    if (!isJsonObject(item)) return { ok: false, message: `${where} is not an object` };
    if (typeof item.Config !== "string" || item.Config === "") return { ok: false, message: `${where}.Config must name the config file` };
    if (!Array.isArray(item.Layers) || !item.Layers.every((l) => typeof l === "string" && l !== "")) {
      return { ok: false, message: `${where}.Layers must list the layer files` };
    }
    const tags = item.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) return { ok: false, message: `${where}.RepoTags must be a list of names` };
    images.push({ config: item.Config, layers: item.Layers as string[], repoTags: tags as string[] });
  }
  return { ok: true, images };
}

/** The media type of a layer file from its first bytes: gzip-compressed or a plain tar. */
export function dockerLayerMediaType(head: Uint8Array): string {
  return head[0] === 0x1f && head[1] === 0x8b ? DOCKER_LAYER_GZIP : DOCKER_LAYER;
}

/** The schema 2 manifest over a config and layers (descriptors computed from the files). */
export function dockerSchema2Manifest(config: Omit<Descriptor, "mediaType">, layers: Descriptor[]): Uint8Array {
  const manifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
  };
  return new TextEncoder().encode(JSON.stringify(manifest, null, 3));
}
