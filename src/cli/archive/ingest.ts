// How `berth import` stores an image: through the registry's operations, as a push does
// (createRepository, putMonolithic or mountBlob, pushManifest, putTag), so guards, quotas,
// immutability, the audit log and notifications apply. Nothing is written to the database here.
//
// Resuming: what the repository holds is skipped (a manifest it has; a blob it links), so an
// import cut off anywhere is finished by running it again. The collector's protocol
// (registry/lifecycle/collector.ts) is respected: a blob already linked is linked again just
// before the manifest naming it is pushed (a mount onto itself refreshes the link's time, which
// the grace period counts from), and should the collector still have unlinked one (an image
// whose blobs took longer than the grace period), the push answers missingBlob and the blob is
// ingested again before the push is retried.
import type { Actor, RepoRef, Registry } from "../../registry/registry";
import { isRefusal } from "../../registry/outcomes";
import { isReservedNamespace, parseDigest, type Descriptor, type ParsedManifest } from "../../oci";
import type { Stores } from "../../store";
import { CliError } from "../accounts";
import { ArchiveError } from "./archiveSource";

/** A manifest read from the archive (digest and size checked), with the manifests it names. */
export interface ManifestNode {
  descriptor: Descriptor;
  bytes: Uint8Array;
  parsed: ParsedManifest;
  children: ManifestNode[];
}

/** Where the archive keeps a blob's bytes. */
export interface BlobContent {
  size(digest: string): number | undefined;
  stream(digest: string): ReadableStream<Uint8Array>;
}

export interface IngestCounts {
  blobsAdded: number;
  bytesAdded: number;
  blobsPresent: number;
  manifestsAdded: number;
  manifestsPresent: number;
}

export type RootOutcome = "added" | "present" | "tagged";

export const IMPORT_ACTOR: Actor = { userAgent: "berth import" };

export class Ingest {
  readonly counts: IngestCounts = { blobsAdded: 0, bytesAdded: 0, blobsPresent: 0, manifestsAdded: 0, manifestsPresent: 0 };
  private readonly repos = new Map<string, RepoRef>();

  constructor(
    private readonly stores: Stores,
    private readonly registry: Registry,
    private readonly content: BlobContent,
  ) {}

  /** The repository, created when missing; its namespace must exist. */
  async repository(fullName: string): Promise<RepoRef> {
    const known = this.repos.get(fullName);
    if (known) return known;
    let row = await this.stores.repositories.find(fullName);
    if (!row) {
      const made = await this.registry.createRepository({ fullName, visibility: "private", actor: IMPORT_ACTOR });
      if (made.kind === "noNamespace") {
        if (isReservedNamespace(made.namespace)) throw new CliError(`namespace "${made.namespace}" is made when the server first starts: start it once, or import with --namespace NS`);
        throw new CliError(`namespace "${made.namespace}" does not exist: create it (berth org add ${made.namespace} --owner USER) or import with --namespace NS`);
      }
      if (made.kind !== "ok" && made.kind !== "exists") throw new CliError(`cannot create ${fullName}: ${made.kind}`);
      row = { id: made.repo.id, fullName: made.repo.fullName, visibility: "private" };
    }
    const ref = { id: row.id, name: row.fullName };
    this.repos.set(fullName, ref);
    return ref;
  }

  /** Stores the manifest tree in `repo` (children and blobs first), and points `tag` at its root. */
  /** `previous`: the manifest the tag pointed at before, when the import moved it. */
  async image(repo: RepoRef, node: ManifestNode, tag?: string): Promise<{ outcome: RootOutcome; previous?: string }> {
    const digest = node.descriptor.digest;
    const before = tag === undefined ? undefined : (await this.stores.manifests.getByTag(repo.id, tag))?.digest;
    const previous = before !== undefined && before !== digest ? before : undefined;
    if ((await this.stores.manifests.getByDigest(repo.id, digest)) === undefined) {
      await this.tree(repo, node, tag);
      return { outcome: "added", previous };
    }
    this.counts.manifestsPresent++;
    if (tag === undefined || before === digest) return { outcome: "present" };
    const moved = await this.registry.putTag({ repo, tag, digest, actor: IMPORT_ACTOR });
    if (moved.kind !== "ok") throw refused(`${repo.name}:${tag}`, moved);
    return { outcome: "tagged", previous };
  }

  private async tree(repo: RepoRef, node: ManifestNode, tag?: string): Promise<void> {
    for (const child of node.children) {
      if (await this.stores.manifests.getByDigest(repo.id, child.descriptor.digest)) this.counts.manifestsPresent++;
      else await this.tree(repo, child);
    }
    const blobs = node.parsed.blobs.filter((b) => !b.urls?.length);
    for (const blob of blobs) await this.blob(repo, blob, false);
    await this.push(repo, node, tag);
  }

  private async push(repo: RepoRef, node: ManifestNode, tag: string | undefined): Promise<void> {
    const m = node.parsed;
    const requiredBlobs = m.blobs.filter((d) => !d.urls?.length).map((d) => d.digest);
    // Each retry brings back one thing the collector took: at most one per blob and child.
    for (let attempt = 0; attempt <= requiredBlobs.length + m.children.length; attempt++) {
      const outcome = await this.registry.pushManifest({
        repo,
        manifest: {
          digest: node.descriptor.digest,
          mediaType: m.mediaType,
          artifactType: m.artifactType,
          subjectDigest: m.subject?.digest,
          annotations: m.annotations,
          content: node.bytes,
          blobDigests: m.blobs.map((d) => d.digest),
          childDigests: m.children.map((d) => d.digest),
        },
        requiredBlobs,
        tag,
        actor: IMPORT_ACTOR,
      });
      if (outcome.kind === "ok") {
        this.counts.manifestsAdded++;
        return;
      }
      if (outcome.kind === "missingBlob") await this.blob(repo, m.blobs.find((b) => b.digest === outcome.digest)!, true);
      else if (outcome.kind === "missingChild") await this.tree(repo, node.children.find((c) => c.descriptor.digest === outcome.digest)!);
      else throw refused(`${repo.name}@${node.descriptor.digest}`, outcome);
    }
    throw new CliError(`${repo.name}@${node.descriptor.digest}: its blobs kept disappearing (is a collector running with a tiny grace period?)`);
  }

  /** Links the blob to `repo`: kept (refreshed) when linked, mounted when another repository has it, else uploaded from the archive. */
  private async blob(repo: RepoRef, desc: Descriptor, retrying: boolean): Promise<void> {
    const digest = parseDigest(desc.digest);
    if (!digest.ok) throw new ArchiveError(`a manifest names the invalid digest "${desc.digest}"`);
    const from = (await this.stores.blobLinks.linkedSize(repo.id, desc.digest)) !== undefined ? { id: repo.id, fullName: repo.name } : await this.stores.blobLinks.holder(desc.digest);
    if (from) {
      const mounted = await this.registry.mountBlob({ repo, from: { id: from.id, name: from.fullName }, digest: desc.digest, actor: IMPORT_ACTOR });
      if (mounted.kind === "ok") {
        if (!retrying) this.counts.blobsPresent++;
        return;
      }
      if (isRefusal(mounted)) throw refused(repo.name, mounted);
      // unknownBlob: collected meanwhile; upload it.
    }
    const size = this.content.size(desc.digest);
    if (size === undefined) throw new ArchiveError(`blob ${desc.digest} is missing from the archive`);
    if (size !== desc.size) throw new ArchiveError(`blob ${desc.digest} is ${size} bytes in the archive, but its manifest says ${desc.size}`);
    const out = await this.registry.putMonolithic({ repo, digest: digest.digest, body: this.content.stream(desc.digest), actor: IMPORT_ACTOR });
    if (out.kind === "digestMismatch") throw new ArchiveError(`blob ${desc.digest} in the archive does not match its digest (its bytes hash to ${out.actual})`);
    if (out.kind !== "ok") throw isRefusal(out) ? refused(repo.name, out) : new CliError(`blob ${desc.digest} could not be stored (${out.kind})`);
    this.counts.blobsAdded++;
    this.counts.bytesAdded += size;
  }
}

function refused(what: string, outcome: { kind: string; [k: string]: unknown }): CliError {
  switch (outcome.kind) {
    case "quotaExceeded":
      return new CliError(`${what}: refused, the quota of namespace "${outcome.namespace}" would be exceeded`);
    case "readOnly":
      return new CliError(`${what}: refused, the repository is read-only`);
    case "immutable":
      return new CliError(`${what}: refused, the tag "${outcome.tag}" is immutable`);
    default:
      return new CliError(`${what}: refused (${outcome.kind})`);
  }
}
