// A data directory generated straight into the database and the blob directory (no HTTP), for
// the collector's benchmark (scripts/bench-gc.ts) and its crash test: repositories of images
// whose files hash to their names, some tagged, some whose only tag ended past the time machine
// (garbage), some with history inside the window, and orphan blobs. Everything is `agoMs` old.
import { Database } from "bun:sqlite";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStores } from "../../src/store";

export interface StoreShape {
  repositories: number;
  manifests: number;
  layersPerManifest: number;
  /** Blobs no repository links (left by deletions). */
  orphanBlobs: number;
  blobBytes: number;
  /** Every n-th manifest's only tag ended before the window (garbage); 0: none. */
  garbageEvery: number;
  /** Every n-th live tag also has an ended period inside the window; 0: none. */
  historyEvery: number;
  /** How old rows and files are. */
  agoMs: number;
}

export interface GeneratedStore {
  /** Live tags: repository, tag, manifest digest. */
  liveTags: { repo: string; tag: string; digest: string }[];
  blobs: number;
  garbageManifests: number;
  garbageBlobs: number;
  garbageBytes: number;
}

const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const TWO_WEEKS_MS = 14 * 24 * 3600_000;

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

export function generateStore(dataDir: string, shape: StoreShape, seed = "gen"): GeneratedStore {
  // The schema, by the migrations (nothing queued to flush: the connection closes a moment later).
  void openStores({ dataDir, uploadTtlMs: 86_400_000 }).close();
  const db = new Database(join(dataDir, "berth.db"));
  db.exec("PRAGMA journal_mode = WAL");
  const now = Date.now();
  const at = now - shape.agoMs;
  const mtime = new Date(at);
  const pad = new Uint8Array(Math.max(0, shape.blobBytes - 40)).fill(0x2e);
  const out: GeneratedStore = { liveTags: [], blobs: 0, garbageManifests: 0, garbageBlobs: 0, garbageBytes: 0 };
  const madeDirs = new Set<string>();

  const writeBlob = (i: number): { digest: string; size: number } => {
    const head = new TextEncoder().encode(`${seed}:blob:${i}:`);
    const bytes = new Uint8Array(head.byteLength + pad.byteLength);
    bytes.set(head);
    bytes.set(pad, head.byteLength);
    const digest = sha256(bytes);
    const hex = digest.slice(7);
    const dir = join(dataDir, "blobs", "sha256", hex.slice(0, 2));
    if (!madeDirs.has(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    madeDirs.add(dir);
    writeFileSync(join(dir, hex), bytes, { mode: 0o600 });
    utimesSync(join(dir, hex), mtime, mtime);
    out.blobs++;
    return { digest, size: bytes.byteLength };
  };

  const insertBlob = db.prepare("INSERT INTO blobs (digest, size, created_ms) VALUES (?, ?, ?)");
  const insertLink = db.prepare("INSERT INTO repository_blobs (repository_id, digest, created_ms) VALUES (?, ?, ?)");
  const insertManifest = db.prepare(
    "INSERT INTO manifests (repository_id, digest, media_type, size, content, created_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
  );
  const insertNamed = db.prepare("INSERT INTO manifest_blobs (manifest_id, digest) VALUES (?, ?)");
  const insertTag = db.prepare("INSERT INTO tags (repository_id, name, manifest_id, start_ms, end_ms) VALUES (?, ?, ?, ?, ?)");

  db.transaction(() => {
    const ns = db.query("INSERT INTO namespaces (name, kind) VALUES (?, 'user') RETURNING id").get(`${seed}`) as { id: number };
    const repos: { id: number; name: string }[] = [];
    for (let r = 0; r < shape.repositories; r++) {
      const name = `${seed}/r${r}`;
      const row = db
        .query("INSERT INTO repositories (namespace_id, name, full_name, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?) RETURNING id")
        .get(ns.id, `r${r}`, name, at, at) as { id: number };
      repos.push({ id: row.id, name });
    }
    let blobNo = 0;
    for (let m = 0; m < shape.manifests; m++) {
      const repo = repos[m % repos.length]!;
      const blobs = Array.from({ length: 1 + shape.layersPerManifest }, () => writeBlob(blobNo++));
      const [config, ...layers] = blobs;
      const content = JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config!.digest, size: config!.size },
        layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: l.digest, size: l.size })),
      });
      const digest = sha256(content);
      const { id } = insertManifest.get(repo.id, digest, MANIFEST, content.length, Buffer.from(content), at) as { id: number };
      for (const b of blobs) {
        insertBlob.run(b.digest, b.size, at);
        insertLink.run(repo.id, b.digest, at);
        insertNamed.run(id, b.digest);
      }
      const tag = `t${m}`;
      if (shape.garbageEvery && m % shape.garbageEvery === 0) {
        insertTag.run(repo.id, tag, id, at - 1, now - TWO_WEEKS_MS - 3600_000);
        out.garbageManifests++;
        out.garbageBlobs += blobs.length;
        out.garbageBytes += blobs.reduce((n, b) => n + b.size, 0);
        continue;
      }
      if (shape.historyEvery && m % shape.historyEvery === 1) insertTag.run(repo.id, tag, id, at - 2, now - 3600_000);
      insertTag.run(repo.id, tag, id, at, null);
      out.liveTags.push({ repo: repo.name, tag, digest });
    }
    for (let o = 0; o < shape.orphanBlobs; o++) {
      const b = writeBlob(blobNo++);
      insertBlob.run(b.digest, b.size, at);
      out.garbageBlobs++;
      out.garbageBytes += b.size;
    }
  })();
  for (const statement of [insertBlob, insertLink, insertManifest, insertNamed, insertTag]) statement.finalize();
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close(true);
  return out;
}
