// `berth fsck`: re-hashes every blob (streaming) and checks every reference both ways; with
// `repair`, fixes what can be fixed without losing anything that was still good.
//
// Damage (the store lost or garbled something; exit status 1 while any is left):
// - a blob file whose bytes do not hash to its name: repaired by moving it to quarantine/ and
//   forgetting the blob (row and links), so HEAD answers 404 and the next push uploads it again;
// - a blob row without its file: repaired the same way (the bytes are gone);
// - a blob row whose size differs from its (verified) file: the row is corrected;
// - a manifest whose bytes do not hash to its digest, that cannot be read, that names a blob its
//   repository does not hold, or an index listing a manifest its repository does not hold:
//   reported only (pushing the image again heals it);
// - SQLite's integrity_check or foreign_key_check failing: reported only.
// Leftovers (what an interrupted pass or a crash leaves; the next collection frees them too):
// - blobs set aside in trash/ by an interrupted collection: put back when still referenced;
// - a blob file without a row, older than the grace period: deleted (as the collector would);
// - a blob row nothing links or names: deleted, then its file;
// - an upload file without a session, a session without its file: swept.
// Checks run in that order, so the manifest checks see the blob repairs. Reads only, and the
// repairs are the collector's own re-checking steps: fsck may run beside a running server.
import { digestHasher, digestOfBytes, parseDigest, parseManifest } from "../../oci";
import type { BlobStore } from "../../store/blobs/blobStore";
import type { CollectionReads } from "../../store/meta/collection";
import type { IntegrityReads, StoredManifestRow } from "../../store/meta/integrity";
import type { UploadSessions } from "../../store/uploadSessions";
import type { Registry } from "../registry";
import { FILE_GRACE_FLOOR_MS } from "./collector";
import { digestPages } from "./collectorEffects";
import { Pacer } from "./pacer";
import { deletionOwnerGone } from "./deletionOwner";

export type FindingKind =
  | "database"
  | "corruptBlob"
  | "missingBlobFile"
  | "blobSizeMismatch"
  | "manifestDigestMismatch"
  | "unreadableManifest"
  | "manifestMissingBlob"
  | "manifestMissingChild"
  | "setAsideBlobs"
  | "abandonedDeletions"
  | "orphanBlobFile"
  | "unreferencedBlob"
  | "uploadWithoutSession"
  | "sessionWithoutUpload";

export interface Finding {
  kind: FindingKind;
  /** Damage, or a leftover the collector would free anyway. */
  damage: boolean;
  /** What it is about (a digest, repository@digest, an upload id). */
  subject: string;
  detail: string;
  /** Set when `repair` fixed it, saying how. */
  repaired?: string;
}

export interface FsckDeps {
  registry: Registry;
  collection: CollectionReads;
  integrity: IntegrityReads;
  blobs: BlobStore;
  uploads: UploadSessions;
}

export interface FsckReport {
  findings: Finding[];
  blobs: number;
  bytesHashed: number;
  manifests: number;
  uploads: number;
}

const PAGE = 200;

export async function checkStore(deps: FsckDeps, opts: { repair: boolean; graceMs: number; now: number }): Promise<FsckReport> {
  const report: FsckReport = { findings: [], blobs: 0, bytesHashed: 0, manifests: 0, uploads: 0 };
  const found = (f: Finding) => report.findings.push(f);
  const { blobs, registry } = deps;

  const setAside = await blobs.trashCount();
  if (setAside) {
    const f: Finding = { kind: "setAsideBlobs", damage: false, subject: "trash/", detail: `${setAside} blobs set aside by an interrupted collection` };
    if (opts.repair) {
      const r = await blobs.recoverTrash((d) => deps.collection.hasBlobRow(d));
      f.repaired = `${r.restored} put back (still referenced), ${r.dropped} dropped`;
    }
    found(f);
  }
  if (opts.repair) {
    // Deletions a crashed collector announced and never ended: cleared (their rowless bytes are
    // orphan files below); a push would take each over anyway after BLOB_DELETION_ABANDONED_MS.
    const cleared = await registry.clearAbandonedDeletions({ ownerGone: deletionOwnerGone });
    if (cleared.length) found({ kind: "abandonedDeletions", damage: false, subject: "blob_deletions", detail: `${cleared.length} blob deletions announced by an interrupted collection`, repaired: "cleared" });
  }
  for (const problem of await deps.integrity.databaseProblems()) found({ kind: "database", damage: true, subject: "berth.db", detail: problem });

  const fileCutoff = opts.now - Math.max(opts.graceMs, FILE_GRACE_FLOOR_MS);
  const forget = async (digest: string) => `forgotten with its ${(await registry.forgetLostBlob({ digest })).links} links: the next push uploads it again`;
  // Every file: its bytes, its row.
  const pacer = new Pacer();
  for await (const page of digestPages(blobs, PAGE, pacer)) {
    const sizes = await deps.integrity.blobSizes(page);
    for (const digest of page) {
      report.blobs++;
      const hashed = await hashFile(blobs, digest);
      if (!hashed) continue; // collected meanwhile
      report.bytesHashed += hashed.size;
      const size = sizes.get(digest);
      if (hashed.actual !== digest) {
        const f: Finding = { kind: "corruptBlob", damage: true, subject: digest, detail: `its ${hashed.size} bytes hash to ${hashed.actual}` };
        if (opts.repair) {
          await blobs.quarantine(digest);
          // A push of the same digest may have put good bytes back meanwhile: then the row is right.
          const pushedAgain = (await blobs.stat(digest)).exists;
          f.repaired = `moved to quarantine/${size !== undefined && !pushedAgain ? `, ${await forget(digest)}` : ""}`;
        }
        found(f);
      } else if (size === undefined) {
        if (hashed.modifiedMs >= fileCutoff) continue; // a push in flight writes its file before its row
        const f: Finding = { kind: "orphanBlobFile", damage: false, subject: digest, detail: `${hashed.size} bytes no blob row records` };
        if (opts.repair && (await blobs.deleteUnreferenced(digest, fileCutoff, () => deps.collection.hasBlobRow(digest))) !== undefined) f.repaired = "deleted";
        found(f);
      } else if (size !== hashed.size) {
        const f: Finding = { kind: "blobSizeMismatch", damage: true, subject: digest, detail: `the row says ${size} bytes, the verified file holds ${hashed.size}` };
        if (opts.repair) {
          await registry.repairBlobSize({ digest, size: hashed.size });
          f.repaired = "row corrected";
        }
        found(f);
      }
    }
  }

  // Every row: its file, and whether anything references it.
  for (let after = ""; ; ) {
    const rows = await deps.collection.blobRows(after, PAGE);
    if (rows.length === 0) break;
    after = rows.at(-1)!.digest;
    for (const row of rows) {
      const file = await blobs.stat(row.digest);
      if (!file.exists) {
        if (!(await deps.collection.hasBlobRow(row.digest))) continue; // collected meanwhile (rows go before files)
        const f: Finding = { kind: "missingBlobFile", damage: true, subject: row.digest, detail: `the row records ${row.size} bytes; the file is gone` };
        if (opts.repair) f.repaired = await forget(row.digest);
        found(f);
      } else if (row.unreferenced) {
        const f: Finding = { kind: "unreferencedBlob", damage: false, subject: row.digest, detail: `${row.size} bytes nothing links or names` };
        if (opts.repair && (await registry.collectBlobRows({ digests: [row.digest] })).deleted.length) {
          const freed = await blobs.deleteUnreferenced(row.digest, fileCutoff, () => deps.collection.hasBlobRow(row.digest));
          f.repaired = freed !== undefined ? "row and file deleted" : "row deleted (the file goes once older than the grace period)";
        }
        found(f);
      }
    }
    await pacer.breathe();
  }

  for (let after = 0; ; ) {
    const manifests = await deps.integrity.manifests(after, PAGE);
    if (manifests.length === 0) break;
    after = manifests.at(-1)!.id;
    for (const m of manifests) {
      report.manifests++;
      for (const f of await checkManifest(deps.integrity, m)) found(f);
    }
    await pacer.breathe();
  }

  await checkUploads(deps, opts, report);
  return report;
}

/** The manifest's bytes against its digest, and what it names against its repository. */
async function checkManifest(integrity: IntegrityReads, m: StoredManifestRow): Promise<Finding[]> {
  const subject = `${m.repository}@${m.digest}`;
  const parsedDigest = parseDigest(m.digest);
  const actual = parsedDigest.ok ? digestOfBytes(m.content, parsedDigest.digest.algorithm) : undefined;
  if (actual !== m.digest) return [{ kind: "manifestDigestMismatch", damage: true, subject, detail: `its stored bytes hash to ${actual ?? "nothing (bad digest)"}` }];
  const parsed = parseManifest(m.content, m.mediaType);
  if (!parsed.ok) return [{ kind: "unreadableManifest", damage: true, subject, detail: parsed.message }];
  const found: Finding[] = [];
  // Foreign layers (with urls) live elsewhere, as at push time.
  const required = parsed.manifest.blobs.filter((d) => !d.urls?.length).map((d) => d.digest);
  const linked = await integrity.linkedAmong(m.repositoryId, required);
  for (const d of required) {
    if (!linked.has(d)) found.push({ kind: "manifestMissingBlob", damage: true, subject, detail: `names blob ${d}, which ${m.repository} does not hold (push the image again)` });
  }
  const children = parsed.manifest.children.map((c) => c.digest);
  const present = await integrity.manifestsAmong(m.repositoryId, children);
  for (const c of children) {
    if (!present.has(c)) found.push({ kind: "manifestMissingChild", damage: true, subject, detail: `lists manifest ${c}, which ${m.repository} does not hold` });
  }
  return found;
}

async function checkUploads(deps: FsckDeps, opts: { repair: boolean; now: number }, report: FsckReport): Promise<void> {
  const quietSince = opts.now - 60_000;
  const sessions = await deps.integrity.uploadSessions();
  const files = new Set(await deps.blobs.listUploads());
  const owned = new Set(sessions.map((s) => s.id));
  const findings: Finding[] = [];
  for (const s of sessions) {
    report.uploads++;
    if (!files.has(s.id) && s.createdMs < quietSince) {
      findings.push({ kind: "sessionWithoutUpload", damage: false, subject: s.id, detail: "an upload session whose file is gone" });
    }
  }
  for (const id of files) {
    const written = await deps.blobs.uploadModifiedMs(id);
    if (!owned.has(id) && written !== null && written < quietSince) {
      findings.push({ kind: "uploadWithoutSession", damage: false, subject: id, detail: "an upload file no session owns" });
    }
  }
  if (opts.repair && findings.length) {
    await deps.uploads.sweep(opts.now);
    const left = new Set(await deps.blobs.listUploads());
    const stillOwned = new Set((await deps.integrity.uploadSessions()).map((s) => s.id));
    for (const f of findings) {
      const gone = f.kind === "sessionWithoutUpload" ? !stillOwned.has(f.subject) : !left.has(f.subject);
      if (gone) f.repaired = "swept";
    }
  }
  report.findings.push(...findings);
}

/** Streams the file through its digest's hash. */
async function hashFile(blobs: BlobStore, digest: string): Promise<{ actual: string; size: number; modifiedMs: number } | undefined> {
  const stat = await blobs.stat(digest);
  if (!stat.exists) return undefined;
  const algorithm = digest.startsWith("sha512:") ? "sha512" : "sha256";
  const hasher = digestHasher(algorithm);
  let size = 0;
  try {
    for await (const chunk of blobs.read(digest).stream()) {
      hasher.update(chunk);
      size += chunk.byteLength;
    }
  } catch (e: any) {
    if (e?.code === "ENOENT") return undefined;
    throw e;
  }
  return { actual: `${algorithm}:${hasher.digest("hex")}`, size, modifiedMs: stat.modifiedMs };
}

/** Whether the store is without damage once the repairs are done. */
export function damageLeft(report: FsckReport): number {
  return report.findings.filter((f) => f.damage && !f.repaired).length;
}
