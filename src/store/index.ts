import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BlobStore } from "./blobs/blobStore";
import { FsBlobStore } from "./blobs/fsBlobStore";
import { openMetaDb, type MetaDb } from "./db";
import { BlobLinkStore } from "./meta/blobLinks";
import { ManifestStore } from "./meta/manifests";
import { RepositoryStore } from "./meta/repositories";
import { TagStore } from "./meta/tags";
import { UploadRowStore } from "./meta/uploads";
import { UploadSessions } from "./uploadSessions";

export interface Stores {
  db: MetaDb;
  blobs: BlobStore;
  repositories: RepositoryStore;
  blobLinks: BlobLinkStore;
  manifests: ManifestStore;
  tags: TagStore;
  uploads: UploadSessions;
  close(): void;
}

export interface StoreOptions {
  dataDir: string;
  uploadTtlMs: number;
}

/** Opens the metadata database and blob store under the data directory, creating both. */
export function openStores(opts: StoreOptions): Stores {
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const db = openMetaDb(join(opts.dataDir, "berth.db"));
  const blobs = new FsBlobStore(opts.dataDir);
  const blobLinks = new BlobLinkStore(db);
  return {
    db,
    blobs,
    repositories: new RepositoryStore(db),
    blobLinks,
    manifests: new ManifestStore(db),
    tags: new TagStore(db),
    uploads: new UploadSessions(new UploadRowStore(db), blobs, blobLinks, opts.uploadTtlMs),
    close: () => db.$client.close(),
  };
}
