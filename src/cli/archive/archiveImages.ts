// The images an archive holds, read and checked before anything is stored: an OCI layout's
// index.json entries, or a `docker save` archive's manifest.json (each image turned into a Docker
// schema 2 manifest). Every manifest's bytes are checked against its digest and size here; blobs
// are checked as they stream into the registry.
import {
  CONTAINERD_NAME_ANNOTATION,
  digestOfBytes,
  digestHasher,
  dockerLayerMediaType,
  dockerSchema2Manifest,
  DOCKER_MANIFEST,
  parseDescriptorList,
  parseDigest,
  parseDockerArchiveManifest,
  parseManifest,
  REF_NAME_ANNOTATION,
  isJsonObject,
  type Descriptor,
  type Digest,
} from "../../oci";
import { ArchiveError, type ArchiveSource } from "./archiveSource";
import type { BlobContent, ManifestNode } from "./ingest";

/** index.json and manifest.json are read whole: bigger than this is refused. */
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** Manifests are held in memory while importing: their distinct bytes together at most this. */
export const MAX_MANIFEST_TOTAL = 256 * 1024 * 1024;
/** Indexes of indexes deeper than this are refused (a loop in the archive would never end). */
const MAX_DEPTH = 8;

/** An entry of the archive: its names (none for a referrer) and its manifest tree. */
export interface ArchiveImage {
  refName?: string;
  fullName?: string;
  /** Docker archives: several RepoTags for one image. */
  names: string[];
  node: ManifestNode;
}

export interface ArchiveContents {
  format: "oci-layout" | "docker-archive";
  images: ArchiveImage[];
  content: BlobContent;
}

export async function readArchive(source: ArchiveSource, maxManifestBytes: number): Promise<ArchiveContents> {
  if (source.size("index.json") !== undefined && source.size("oci-layout") !== undefined) return readLayout(source, maxManifestBytes);
  if (source.size("manifest.json") !== undefined) return readDockerArchive(source);
  throw new ArchiveError("neither an OCI image layout (oci-layout and index.json) nor a docker save archive (manifest.json)");
}

function checkedDigest(digest: string): Digest {
  const parsed = parseDigest(digest);
  if (!parsed.ok) throw new ArchiveError(`the archive names the invalid digest "${digest}"`);
  return parsed.digest;
}

function blobPath(digest: string): string {
  const d = checkedDigest(digest);
  return `blobs/${d.algorithm}/${d.hex}`;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ArchiveError(`${what} is not valid JSON`);
  }
}

async function readLayout(source: ArchiveSource, maxManifestBytes: number): Promise<ArchiveContents> {
  const layout = parseJson(await source.read("oci-layout", 4096), "oci-layout");
  if (!isJsonObject(layout) || typeof layout.imageLayoutVersion !== "string") throw new ArchiveError("oci-layout has no imageLayoutVersion");
  const index = parseJson(await source.read("index.json", MAX_INDEX_BYTES), "index.json");
  if (!isJsonObject(index)) throw new ArchiveError("index.json is not an object");
  const entries = parseDescriptorList(index.manifests ?? [], "index.json manifests");
  if (!entries.ok) throw new ArchiveError(entries.message);
  const content: BlobContent = { size: (d) => source.size(blobPath(d)), stream: (d) => source.stream(blobPath(d)) };

  // Each manifest is read once however often it is named: an index.json naming one big manifest
  // a hundred thousand times costs one copy.
  const loaded = new Map<string, ManifestNode>();
  let loadedBytes = 0;
  const load = async (desc: Descriptor, depth: number): Promise<ManifestNode> => {
    if (depth > MAX_DEPTH) throw new ArchiveError(`indexes nest deeper than ${MAX_DEPTH} levels at ${desc.digest}`);
    const seen = loaded.get(desc.digest);
    if (seen) return seen;
    loadedBytes += desc.size;
    if (loadedBytes > MAX_MANIFEST_TOTAL) throw new ArchiveError(`the archive's manifests add up to more than ${MAX_MANIFEST_TOTAL} bytes`);
    const path = blobPath(desc.digest);
    if (desc.size > maxManifestBytes) throw new ArchiveError(`manifest ${desc.digest} is ${desc.size} bytes, more than the ${maxManifestBytes} allowed`);
    const bytes = await source.read(path, maxManifestBytes);
    if (bytes.byteLength !== desc.size) throw new ArchiveError(`manifest ${desc.digest} is ${bytes.byteLength} bytes in the archive, but is described as ${desc.size}`);
    const actual = digestOfBytes(bytes, checkedDigest(desc.digest).algorithm);
    if (actual !== desc.digest) throw new ArchiveError(`manifest ${desc.digest} does not match its digest (its bytes hash to ${actual})`);
    const parsed = parseManifest(bytes, desc.mediaType);
    if (!parsed.ok) throw new ArchiveError(`manifest ${desc.digest} is not a manifest Berth stores: ${parsed.message}`);
    const children: ManifestNode[] = [];
    for (const child of parsed.manifest.children) children.push(await load(child, depth + 1));
    const node = { descriptor: { mediaType: parsed.manifest.mediaType, digest: desc.digest, size: desc.size }, bytes, parsed: parsed.manifest, children };
    loaded.set(desc.digest, node);
    return node;
  };

  const images: ArchiveImage[] = [];
  for (const desc of entries.value) {
    const refName = desc.annotations?.[REF_NAME_ANNOTATION];
    const fullName = desc.annotations?.[CONTAINERD_NAME_ANNOTATION];
    images.push({ refName, fullName, names: [], node: await load(desc, 0) });
  }
  for (const node of await blobReferrers(source, images, maxManifestBytes, load)) images.push({ names: [], node });
  return { format: "oci-layout", images, content };
}

/**
 * Referrers kept among the blobs but not in index.json (as `berth export` writes them): small
 * JSON blobs that are manifests with a subject. Blobs that the images name are not read.
 */
async function blobReferrers(
  source: ArchiveSource,
  images: ArchiveImage[],
  maxManifestBytes: number,
  load: (desc: Descriptor, depth: number) => Promise<ManifestNode>,
): Promise<ManifestNode[]> {
  const known = new Set<string>();
  const note = (node: ManifestNode) => {
    known.add(node.descriptor.digest);
    for (const b of node.parsed.blobs) known.add(b.digest);
    node.children.forEach(note);
  };
  images.forEach((i) => note(i.node));
  const found: ManifestNode[] = [];
  for (const alg of ["sha256", "sha512"]) {
    for (const path of source.list(`blobs/${alg}`)) {
      const digest = `${alg}:${path.slice(path.lastIndexOf("/") + 1)}`;
      const size = source.size(path)!;
      if (known.has(digest) || size > maxManifestBytes || size < 2 || !parseDigest(digest).ok) continue;
      const bytes = await source.read(path, maxManifestBytes);
      if (bytes[0] !== 0x7b) continue; // "{"
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        continue;
      }
      if (!isJsonObject(body) || !isJsonObject(body.subject) || typeof body.mediaType !== "string") continue;
      found.push(await load({ mediaType: body.mediaType, digest, size }, 0));
    }
  }
  return found;
}

/** Streams a file through the hasher: its digest, size and first bytes. */
async function hashEntry(source: ArchiveSource, path: string): Promise<{ digest: string; size: number; head: Uint8Array }> {
  const hasher = digestHasher("sha256");
  let size = 0;
  let head: Uint8Array | undefined;
  for await (const chunk of source.stream(path)) {
    head ??= chunk.slice(0, 4);
    hasher.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${hasher.digest("hex")}`, size, head: head ?? new Uint8Array() };
}

async function readDockerArchive(source: ArchiveSource): Promise<ArchiveContents> {
  const parsed = parseDockerArchiveManifest(await source.read("manifest.json", MAX_INDEX_BYTES));
  if (!parsed.ok) throw new ArchiveError(parsed.message);
  // Digests are computed here, so blobs are found by them afterwards.
  const paths = new Map<string, string>();
  const content: BlobContent = {
    size: (d) => (paths.has(d) ? source.size(paths.get(d)!) : undefined),
    stream: (d) => source.stream(paths.get(d)!),
  };
  const images: ArchiveImage[] = [];
  // Images of one archive share layers: each file is hashed once.
  const hashed = new Map<string, { digest: string; size: number; head: Uint8Array }>();
  for (const image of parsed.images) {
    const describe = async (path: string) => {
      const seen = hashed.get(path);
      if (seen) return seen;
      if (source.size(path) === undefined) throw new ArchiveError(`${path}, named by manifest.json, is missing from the archive`);
      const h = await hashEntry(source, path);
      paths.set(h.digest, path);
      hashed.set(path, h);
      return h;
    };
    const config = await describe(image.config);
    const layers: Descriptor[] = [];
    for (const path of image.layers) {
      const h = await describe(path);
      layers.push({ mediaType: dockerLayerMediaType(h.head), digest: h.digest, size: h.size });
    }
    const bytes = dockerSchema2Manifest({ digest: config.digest, size: config.size }, layers);
    const manifest = parseManifest(bytes, DOCKER_MANIFEST);
    if (!manifest.ok) throw new ArchiveError(`manifest.json: ${manifest.message}`);
    const descriptor = { mediaType: DOCKER_MANIFEST, digest: digestOfBytes(bytes), size: bytes.byteLength };
    images.push({ names: image.repoTags, node: { descriptor, bytes, parsed: manifest.manifest, children: [] } });
  }
  return { format: "docker-archive", images, content };
}
