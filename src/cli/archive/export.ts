// `berth export`: selected images as an OCI image layout in a tar file (`oci-layout`,
// `index.json`, `blobs/<alg>/<hex>`), readable by `skopeo copy oci-archive:FILE:ns/name:tag`,
// `podman load` and `berth import`. Blobs stream from the blob store into the archive, hashed
// on the way (a damaged blob stops the export rather than travel), so memory stays flat.
import { digestHasher, OCI_INDEX, REF_NAME_ANNOTATION, type Digest } from "../../oci";
import type { Stores } from "../../store";
import { CliError } from "../accounts";
import { planExport, selections, type ExportPlan } from "./exportPlan";
import { TarWriter } from "./tarWriter";

const LAYOUT = new TextEncoder().encode(JSON.stringify({ imageLayoutVersion: "1.0.0" }));

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(":") as [string, string];
  return `blobs/${alg}/${hex}`;
}

function indexJson(plan: ExportPlan): Uint8Array {
  const manifests = plan.refs.map((r) => ({ ...r.descriptor, annotations: { ...r.descriptor.annotations, [REF_NAME_ANNOTATION]: r.refName } }));
  return new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}

export async function exportArchive(stores: Stores, opts: { repositories: string[]; output: string | undefined }): Promise<string> {
  if (!opts.output) throw new CliError("export needs --output FILE.tar", 2);
  const plan = await planExport(stores, await selections(stores, opts.repositories));
  const named = plan.refs.length;
  if (named === 0) throw new CliError("nothing to export: the repositories chosen have no tags");
  for (const [digest] of plan.blobs) {
    const st = await stores.blobs.stat(digest);
    if (!st.exists) throw new CliError(`blob ${digest} is missing from the blob store (run berth fsck)`);
  }
  const tar = await TarWriter.create(opts.output);
  let blobBytes = 0;
  try {
    await tar.file("oci-layout", LAYOUT);
    await tar.file("index.json", indexJson(plan));
    await tar.directory("blobs");
    const algorithms = new Set([...plan.manifests.keys(), ...plan.blobs.keys()].map((d) => d.split(":")[0]!));
    for (const alg of algorithms) await tar.directory(`blobs/${alg}`);
    for (const [digest, bytes] of plan.manifests) {
      if (plan.blobs.has(digest)) continue; // also a blob (an artifact naming a manifest): written once below
      await tar.file(blobPath(digest), bytes);
    }
    for (const [digest, size] of plan.blobs) {
      const hasher = digestHasher(digest.split(":")[0] as Digest["algorithm"]);
      const stored = await stores.blobs.stat(digest);
      if (!stored.exists || stored.size !== size) throw new CliError(`blob ${digest} is missing or has the wrong size in the blob store (run berth fsck)`);
      await tar.stream(blobPath(digest), size, stores.blobs.read(digest).stream(), (chunk) => hasher.update(chunk));
      const actual = `${digest.split(":")[0]}:${hasher.digest("hex")}`;
      if (actual !== digest) throw new CliError(`blob ${digest} in the blob store hashes to ${actual} (run berth fsck)`);
      blobBytes += size;
    }
    const total = await tar.finish();
    const referrers = plan.referrers;
    return `export: ${named} image(s)${referrers ? ` and ${referrers} referrer(s)` : ""}, ${plan.manifests.size} manifests, ${plan.blobs.size} blobs (${mib(blobBytes)}) → ${opts.output} (${mib(total)})`;
  } catch (e) {
    await tar.abandon();
    throw e;
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
