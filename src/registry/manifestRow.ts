// The row a parsed manifest is stored as (pushManifest's `manifest`), for every writer that
// stores manifests it fetched or read: the mirror, the proxy cache.
import type { ParsedManifest } from "../oci";
import type { NewManifestRow } from "../store/registryTx";

export function manifestRow(digest: string, content: Uint8Array, m: ParsedManifest): NewManifestRow {
  return {
    digest,
    mediaType: m.mediaType,
    artifactType: m.artifactType,
    subjectDigest: m.subject?.digest,
    annotations: m.annotations,
    content,
    blobDigests: m.blobs.map((d) => d.digest),
    childDigests: m.children.map((d) => d.digest),
  };
}
