// Manifest media types Berth knows, and the Accept check for serving a stored manifest.

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_SCHEMA1_MANIFEST = "application/vnd.docker.distribution.manifest.v1+json";
export const DOCKER_SCHEMA1_SIGNED_MANIFEST = "application/vnd.docker.distribution.manifest.v1+prettyjws";
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
/** Content-Type of the referrers response (an OCI index). */
export const OCI_REFERRERS_RESPONSE = OCI_INDEX;

/** The manifest types Berth accepts on push and serves. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

/** Docker schema 1 is recognised only to refuse it with a clear message. */
export const SCHEMA1_MEDIA_TYPES: readonly string[] = [DOCKER_SCHEMA1_MANIFEST, DOCKER_SCHEMA1_SIGNED_MANIFEST];

const KNOWN_MANIFEST_TYPES = new Set([...MANIFEST_MEDIA_TYPES, ...SCHEMA1_MEDIA_TYPES]);

// RFC 6838 type/subtype, as the image-spec's descriptor schema restricts mediaType.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isValidMediaType(mt: string): boolean {
  return MEDIA_TYPE.test(mt);
}

export function isManifestMediaType(mt: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mt);
}

export function isIndexMediaType(mt: string): boolean {
  return mt === OCI_INDEX || mt === DOCKER_MANIFEST_LIST;
}

export function isSchema1MediaType(mt: string): boolean {
  return SCHEMA1_MEDIA_TYPES.includes(mt);
}

/** "Type/Sub; charset=utf-8" → "type/sub" (media types compare case-insensitively). */
export function bareMediaType(value: string): string {
  const semi = value.indexOf(";");
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
}

/**
 * Whether a stored manifest may be served for this Accept header. Lenient like Distribution:
 * clients routinely send partial or no Accept lists, so we refuse only when the client listed
 * nothing but manifest types and the stored one is not among them (the caller then answers
 * MANIFEST_UNKNOWN). Multiple Accept headers arrive joined by ", "; q-values are ignored.
 */
export function negotiateManifest(storedMediaType: string, acceptHeader: string | null): boolean {
  if (acceptHeader === null) return true;
  const ranges = acceptHeader.split(",").map(bareMediaType).filter((r) => r !== "");
  if (ranges.length === 0) return true;
  const stored = storedMediaType.toLowerCase();
  for (const range of ranges) {
    if (range === stored || range === "*/*" || range === "application/*") return true;
    // Anything that is not a manifest type (application/json, text/html, …) means "be lenient".
    if (!KNOWN_MANIFEST_TYPES.has(range)) return true;
  }
  return false;
}
