// Quay's JSON for manifests and their labels (endpoints/api/manifest.py: _manifest_dict,
// _layer_dict, _label_dict). Reads the image config blob for the layer list.
import { imageLayers, outlineManifest } from "../oci";
import type { Label } from "../store/meta/labels";
import type { StoredManifest } from "../store/meta/manifests";
import type { V1Context } from "./context";
import { rfc2822 } from "./views";

/** Image configs are a few KiB even with long histories; a bigger one is not read (layers then lack history). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export function labelView(l: Label) {
  return { id: l.uuid, key: l.key, value: l.value, source_type: l.sourceType, media_type: l.mediaType };
}

export async function manifestView(ctx: V1Context, m: StoredManifest) {
  const outline = outlineManifest(m.content, m.mediaType);
  let layers: ReturnType<typeof layerView>[] | null = null;
  if (outline.needsConfig) {
    const config = await readConfig(ctx, outline.needsConfig);
    const list = imageLayers(outline, config).map(layerView);
    // Quay answers null rather than an empty list.
    layers = list.length ? list : null;
  }
  return {
    digest: m.digest,
    is_manifest_list: outline.isList,
    manifest_data: new TextDecoder().decode(m.content),
    config_media_type: outline.configMediaType,
    layers_compressed_size: outline.layersCompressedSize,
    layers,
  };
}

function layerView(l: ReturnType<typeof imageLayers>[number], index: number) {
  return {
    index,
    compressed_size: l.compressedSize,
    is_remote: l.isRemote,
    urls: l.urls,
    command: l.command,
    comment: l.comment,
    author: l.author,
    blob_digest: l.blobDigest,
    created_datetime: l.createdMs === null ? null : rfc2822(l.createdMs),
  };
}

/** The config's bytes, or undefined when missing, oversized or not the size the manifest says. */
async function readConfig(ctx: V1Context, config: { digest: string; size: number }): Promise<Uint8Array | undefined> {
  if (config.size > MAX_CONFIG_BYTES) return undefined;
  const stat = await ctx.stores.blobs.stat(config.digest);
  if (!stat.exists || stat.size !== config.size) return undefined;
  return new Uint8Array(await ctx.stores.blobs.read(config.digest).arrayBuffer());
}
