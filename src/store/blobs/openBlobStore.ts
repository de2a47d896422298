import type { Config } from "../../config";
import type { BlobStore } from "./blobStore";
import { FsBlobStore } from "./fsBlobStore";
import { S3BlobStore } from "./s3BlobStore";

/** The blob store the settings name: the data directory, or an S3 bucket (created when missing). */
export async function openBlobStore(config: Config): Promise<BlobStore> {
  if (!config.storage) return new FsBlobStore(config.data);
  const url = new URL(config.storage);
  return new S3BlobStore({
    bucket: url.host,
    prefix: decodeURIComponent(url.pathname.replace(/^\/+/, "")),
    endpoint: config.s3Endpoint ?? `https://s3.${config.s3Region}.amazonaws.com`,
    region: config.s3Region,
    accessKeyId: config.s3AccessKey!,
    secretAccessKey: config.s3SecretKey!,
    pathStyle: config.s3PathStyle,
    redirect: config.storageRedirect,
  }).open();
}
