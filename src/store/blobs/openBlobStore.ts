import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Config } from "../../config";
import type { BlobStore } from "./blobStore";
import { FsBlobStore } from "./fsBlobStore";
import { S3BlobStore, type S3StoreOptions } from "./s3BlobStore";
import { S3Api } from "./s3/s3Api";
import type { S3UploadRecords } from "./s3/uploadRecords";

// Which store a data directory's database goes with is recorded in it (`blob-storage`, written at
// the first start with S3): a start or a chore (`berth gc`, `fsck`) that names another store
// would see every blob as missing, so it is refused before anything is opened.
const MARKER = "blob-storage";

/** Why this start's storage does not go with the data directory, or undefined when it does. */
export function storageMismatch(recorded: string | undefined, wanted: string | undefined, hasDatabase: boolean): string | undefined {
  const where = (s: string | undefined) => s ?? "the data directory";
  if (recorded === undefined && hasDatabase && wanted !== undefined) {
    return `this data directory's blobs are in the data directory; starting it with ${wanted} would lose them (moving blobs to S3 is not yet supported)`;
  }
  if (recorded !== undefined && recorded !== wanted) {
    return `this data directory's blobs are in ${where(recorded)}; start it with --storage ${recorded} (it was given ${where(wanted)})`;
  }
  return undefined;
}

/**
 * A blob store but for the database: an S3 bucket records its uploads' state there (s3/uploadRecords.ts),
 * and the stores (assembleStores) hand it over once the database is open.
 */
export type BlobStoreOpener = (records: S3UploadRecords) => BlobStore;

/**
 * The blob store the settings name: the data directory, or an S3 bucket (created when missing).
 * On PostgreSQL (`database`) the data directory holds no database, only keys (several nodes may
 * share one registry, each with its own directory), so it records nothing and checks nothing.
 */
export async function openBlobStore(config: Config): Promise<BlobStoreOpener> {
  if (config.database) return config.storage ? openS3BlobStore(config, config.storage.replace(/\/+$/, "")) : () => new FsBlobStore(config.data);
  const marker = join(config.data, MARKER);
  const recorded = recordedStorage(config.data);
  const wanted = config.storage?.replace(/\/+$/, "");
  const problem = storageMismatch(recorded, wanted, existsSync(join(config.data, "berth.db")));
  if (problem) throw new ConfigError(problem);
  if (!wanted) return () => new FsBlobStore(config.data);
  const opener = await openS3BlobStore(config, wanted);
  if (recorded === undefined) {
    mkdirSync(config.data, { recursive: true, mode: 0o700 });
    writeFileSync(marker, `${wanted}\n`, { mode: 0o600 });
  }
  return opener;
}

/** The bucket `storage` (s3://bucket/prefix) names, with the S3 settings of `config` (created when missing), awaiting the database its uploads are recorded in. */
export async function openS3BlobStore(config: Config, storage: string): Promise<BlobStoreOpener> {
  const opts = s3StoreOptions(config, storage);
  await new S3Api(opts).ensureBucket();
  return (records) => new S3BlobStore(opts, records);
}

function s3StoreOptions(config: Config, storage: string): S3StoreOptions {
  const url = new URL(storage);
  return {
    bucket: url.host,
    prefix: decodeURIComponent(url.pathname.replace(/^\/+/, "")),
    endpoint: config.s3Endpoint ?? `https://s3.${config.s3Region}.amazonaws.com`,
    region: config.s3Region,
    accessKeyId: config.s3AccessKey!,
    secretAccessKey: config.s3SecretKey!,
    pathStyle: config.s3PathStyle,
    redirect: config.storageRedirect,
  };
}

/** The S3 storage a data directory recorded at its first start with one, or undefined (its own blobs/). */
export function recordedStorage(dataDir: string): string | undefined {
  const marker = join(dataDir, MARKER);
  return existsSync(marker) ? readFileSync(marker, "utf8").trim() : undefined;
}
