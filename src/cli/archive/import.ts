// `berth import FILE|DIR`: loads an OCI image layout (a directory or a tar) or a `docker save`
// archive into repositories (names: oci/archiveNames.ts), through the registry's operations
// (ingest.ts). Everything is read and checked that can be before the first write (the names, the
// manifests and their digests); blobs are checked as they stream in. Safe beside a running
// server; a cut-off import is finished by running it again.
import { importTarget, isValidRepoName, splitReference, type ImageTarget, type NamingOptions } from "../../oci";
import type { Registry } from "../../registry/registry";
import type { Stores } from "../../store";
import { CliError } from "../accounts";
import { readArchive, type ArchiveImage } from "./archiveImages";
import { openArchive } from "./archiveSource";
import { mib } from "./export";
import { Ingest, type ManifestNode, type RootOutcome } from "./ingest";

export interface ImportOptions {
  location: string | undefined;
  namespace?: string;
  repository?: string[];
  maxManifestBytes: number;
}

const DESCRIBE: Record<RootOutcome, string> = { added: "added", present: "already present", tagged: "tagged (its manifest was present)" };

function namingOptions(opts: ImportOptions): NamingOptions {
  if ((opts.repository?.length ?? 0) > 1) throw new CliError("import takes at most one --repository", 2);
  const given = opts.repository?.[0];
  let repository: string | undefined;
  if (given !== undefined) {
    const split = splitReference(given);
    if (!split.ok || split.tag !== undefined || split.digest !== undefined) throw new CliError(`--repository must be NS/NAME, got "${given}"`, 2);
    repository = split.repository;
  }
  if (opts.namespace !== undefined && (opts.namespace.includes("/") || !isValidRepoName(`${opts.namespace}/x`))) {
    throw new CliError(`--namespace must be a namespace name, got "${opts.namespace}"`, 2);
  }
  return { namespace: opts.namespace, repository };
}

/** Where each image goes: its named targets, or none (a referrer, or an unnamed image). */
function targetsOf(image: ArchiveImage, naming: NamingOptions): ImageTarget[] {
  const names = image.names.length ? image.names : [image.refName];
  const out: ImageTarget[] = [];
  for (const name of names) {
    const t = importTarget(name, image.fullName, naming);
    if (t && !t.ok) throw new CliError(`cannot import: ${t.message}`, 2);
    if (t) out.push(t.target);
  }
  return out;
}

/** Every manifest digest of the tree (to find where referrers' subjects went). */
function digestsOf(node: ManifestNode, into: string[] = []): string[] {
  into.push(node.descriptor.digest);
  for (const c of node.children) digestsOf(c, into);
  return into;
}

export async function importArchive(stores: Stores, registry: Registry, opts: ImportOptions): Promise<string> {
  if (!opts.location) throw new CliError("import needs a FILE.tar or a DIR", 2);
  const naming = namingOptions(opts);
  const source = await openArchive(opts.location);
  const lines: string[] = [];
  try {
    const contents = await readArchive(source, opts.maxManifestBytes);
    const planned = contents.images.map((image) => ({ image, targets: targetsOf(image, naming) }));
    const ingest = new Ingest(stores, registry, contents.content);
    const placed = new Map<string, Set<string>>();
    const place = (repository: string, node: ManifestNode) => {
      for (const d of digestsOf(node)) placed.set(d, (placed.get(d) ?? new Set()).add(repository));
    };
    const store = async (target: ImageTarget, node: ManifestNode, label: string) => {
      const repo = await ingest.repository(target.repository);
      const { outcome, previous } = await ingest.image(repo, node, target.tag);
      place(target.repository, node);
      lines.push(`${DESCRIBE[outcome]}: ${label} ${node.descriptor.digest}${previous ? ` (the tag moved from ${previous})` : ""}`);
    };

    let skipped = 0;
    const referrers: ManifestNode[] = [];
    for (const { image, targets } of planned) {
      for (const t of targets) await store(t, image.node, t.tag !== undefined ? `${t.repository}:${t.tag}` : t.repository);
      if (targets.length) continue;
      if (image.node.parsed.subject) referrers.push(image.node);
      else if (naming.repository !== undefined) await store({ repository: naming.repository }, image.node, naming.repository);
      else {
        skipped++;
        lines.push(`skipped: ${image.node.descriptor.digest} has no name (pass --repository NS/NAME to import it untagged)`);
      }
    }
    // Referrers go where their subjects went; a referrer of a referrer after it.
    let pending = referrers;
    while (pending.length) {
      const later: ManifestNode[] = [];
      for (const node of pending) {
        const repos = placed.get(node.parsed.subject!.digest);
        if (!repos) {
          later.push(node);
          continue;
        }
        for (const repository of [...repos]) await store({ repository }, node, `${repository} (referrer of ${node.parsed.subject!.digest})`);
      }
      if (later.length === pending.length) {
        for (const node of later) lines.push(`skipped: referrer ${node.descriptor.digest}: its subject ${node.parsed.subject!.digest} is not among the images imported`);
        skipped += later.length;
        break;
      }
      pending = later;
    }
    return report(lines, ingest, contents.format, skipped);
  } catch (e) {
    // What was stored before the failure stays (and is skipped when the import runs again).
    if (e instanceof CliError && lines.length) throw new CliError(`${e.message}\nstored before the failure (running the import again skips them):\n${lines.join("\n")}`, e.exitCode);
    throw e;
  } finally {
    await source.close();
  }
}

function report(lines: string[], ingest: Ingest, format: string, skipped: number): string {
  const c = ingest.counts;
  lines.push(
    `import (${format}): ${c.manifestsAdded} manifests added, ${c.manifestsPresent} already present; ` +
      `${c.blobsAdded} blobs added (${mib(c.bytesAdded)}), ${c.blobsPresent} already present${skipped ? `; ${skipped} skipped` : ""}`,
  );
  return lines.join("\n");
}
