import { S3Client } from "bun";
import { sha256Hex, signRequest, UNSIGNED_PAYLOAD, uriEncode, type SigningKeys } from "./sigv4";

// One bucket of an S3-compatible store: Bun.S3Client for what it does (GET with ranges, PUT of
// small objects, HEAD, list, delete, presign) and SigV4-signed fetches for what it lacks in Bun
// 1.4.5 (its writer is a multipart upload it owns: no upload id to record, no resume, no abort;
// and no copy).

export interface S3Settings extends SigningKeys {
  /** e.g. http://127.0.0.1:7480 */
  endpoint: string;
  bucket: string;
  /** Addressed as <endpoint>/<bucket>/<key> (MinIO, Ceph) instead of <bucket>.<endpoint host>/<key>. */
  pathStyle: boolean;
}

export class S3RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    what: string,
  ) {
    super(`S3 ${what}: ${status} ${code}`);
  }
}

/** The largest object one CopyObject or UploadPartCopy may copy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

export const isMissing = (e: unknown): boolean => {
  const err = e as { code?: string; status?: number; name?: string };
  return err?.code === "NoSuchKey" || err?.code === "NotFound" || err?.code === "NoSuchUpload" || err?.status === 404;
};

export class S3Api {
  readonly client: S3Client;

  constructor(readonly settings: S3Settings) {
    this.client = new S3Client({
      bucket: settings.bucket,
      endpoint: settings.endpoint,
      region: settings.region,
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      sessionToken: settings.sessionToken,
      virtualHostedStyle: !settings.pathStyle,
    });
  }

  /** A signed request on `key` ("" for the bucket itself). */
  async call(
    what: string,
    method: string,
    key: string,
    query: Record<string, string>,
    opts: { headers?: Record<string, string>; body?: Uint8Array | string } = {},
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const base = new URL(this.settings.endpoint);
    const { bucket, pathStyle } = this.settings;
    const host = pathStyle ? base.host : `${bucket}.${base.host}`;
    const basePath = base.pathname.replace(/\/$/, "");
    const path = pathStyle ? `${basePath}/${bucket}${key ? `/${key}` : ""}` : `${basePath}/${key}`;
    const body = typeof opts.body === "string" ? new TextEncoder().encode(opts.body) : opts.body;
    // Small XML bodies are signed; part bytes go as UNSIGNED-PAYLOAD (hashing them twice buys nothing).
    const payloadHash = body && body.byteLength > 64 * 1024 ? UNSIGNED_PAYLOAD : sha256Hex(body ?? "");
    const headers = signRequest(this.settings, { method, host, path, query, headers: opts.headers ?? {}, payloadHash }, new Date());
    delete headers.host;
    const qs = new URLSearchParams(query).toString();
    const url = `${base.protocol}//${host}${uriEncode(path, true)}${qs ? `?${qs}` : ""}`;
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    // CompleteMultipartUpload and copies can answer 200 with an error inside.
    if (res.status >= 300 || text.includes("<Error>")) {
      throw new S3RequestError(res.status, tag(text, "Code") ?? "unknown", `${what} ${key}`);
    }
    return { status: res.status, text, headers: res.headers };
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.call("head bucket", "HEAD", "", {});
    } catch (e) {
      if (!(e instanceof S3RequestError) || e.status !== 404) throw e;
      await this.call("create bucket", "PUT", "", {}).catch((err) => {
        // Another node created it meanwhile.
        if (!(err instanceof S3RequestError && /BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(err.code))) throw err;
      });
    }
  }

  async createMultipart(key: string): Promise<string> {
    const { text } = await this.call("create multipart upload", "POST", key, { uploads: "" });
    const id = tag(text, "UploadId");
    if (!id) throw new Error(`S3 create multipart upload ${key}: no UploadId in the answer`);
    return id;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<string> {
    const { headers } = await this.call("upload part", "PUT", key, { partNumber: String(partNumber), uploadId }, { body: bytes });
    const etag = headers.get("etag");
    if (!etag) throw new Error(`S3 upload part ${key}: no ETag in the answer`);
    return etag;
  }

  async uploadPartCopy(key: string, uploadId: string, partNumber: number, source: string, range: { start: number; end: number }): Promise<string> {
    const { text } = await this.call("upload part copy", "PUT", key, { partNumber: String(partNumber), uploadId }, {
      headers: { "x-amz-copy-source": this.copySource(source), "x-amz-copy-source-range": `bytes=${range.start}-${range.end}` },
    });
    const etag = tag(text, "ETag");
    if (!etag) throw new Error(`S3 upload part copy ${key}: no ETag in the answer`);
    return etag.replace(/&quot;/g, '"');
  }

  async completeMultipart(key: string, uploadId: string, parts: { n: number; etag: string }[]): Promise<void> {
    const xml = `<CompleteMultipartUpload>${parts
      .map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag.replace(/"/g, "&quot;")}</ETag></Part>`)
      .join("")}</CompleteMultipartUpload>`;
    await this.call("complete multipart upload", "POST", key, { uploadId }, { body: xml, headers: { "content-type": "application/xml" } });
  }

  /** The parts a multipart upload holds (ListParts, every page), in part-number order. */
  async listParts(key: string, uploadId: string): Promise<{ n: number; etag: string; size: number }[]> {
    const parts: { n: number; etag: string; size: number }[] = [];
    let marker = "0";
    for (;;) {
      const { text } = await this.call("list parts", "GET", key, { uploadId, "part-number-marker": marker });
      for (const m of text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
        const n = Number(tag(m[1]!, "PartNumber"));
        const etag = tag(m[1]!, "ETag")?.replace(/&quot;/g, '"');
        if (n > 0 && etag) parts.push({ n, etag, size: Number(tag(m[1]!, "Size") ?? 0) });
      }
      const next = tag(text, "NextPartNumberMarker");
      if (tag(text, "IsTruncated") !== "true" || !next || next === marker) return parts;
      marker = next;
    }
  }

  /** The first `size` bytes of `source` as the object `target` (a multipart copy by ranges, whatever the size). */
  async copyPrefix(source: string, target: string, size: number): Promise<void> {
    const uploadId = await this.createMultipart(target);
    try {
      const parts = [];
      for (const [i, range] of copyRanges(size).entries()) {
        parts.push({ n: i + 1, etag: await this.uploadPartCopy(target, uploadId, i + 1, source, range) });
      }
      await this.completeMultipart(target, uploadId, parts);
    } catch (e) {
      await this.abortMultipart(target, uploadId).catch(() => {});
      throw e;
    }
  }

  /** Whether the multipart upload is still open (ListParts). */
  async multipartOpen(key: string, uploadId: string): Promise<boolean> {
    try {
      await this.call("list parts", "GET", key, { uploadId, "max-parts": "1" });
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.call("abort multipart upload", "DELETE", key, { uploadId }).catch((e) => {
      if (!isMissing(e)) throw e;
    });
  }

  /** Every key under `prefix`, in key order, a page at a time. */
  async *keys(prefix: string): AsyncIterable<string> {
    let continuationToken: string | undefined;
    do {
      const page = await this.client.list({ prefix, continuationToken });
      for (const o of page.contents ?? []) yield o.key;
      continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (continuationToken);
  }

  /** Open multipart uploads under `prefix` (first page: a crashed request leaves one or two). */
  async listMultipart(prefix: string): Promise<{ key: string; uploadId: string }[]> {
    const { text } = await this.call("list multipart uploads", "GET", "", { uploads: "", prefix });
    return [...text.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)].flatMap((m) => {
      const key = tag(m[1]!, "Key");
      const uploadId = tag(m[1]!, "UploadId");
      return key && uploadId ? [{ key, uploadId }] : [];
    });
  }

  /** Server-side copy; objects over 5 GiB go as a multipart copy. */
  async copy(source: string, target: string, size: number, opts: { unmodifiedSince?: Date } = {}): Promise<void> {
    if (size <= MAX_COPY_BYTES) {
      const headers: Record<string, string> = { "x-amz-copy-source": this.copySource(source) };
      if (opts.unmodifiedSince) headers["x-amz-copy-source-if-unmodified-since"] = opts.unmodifiedSince.toUTCString();
      await this.call("copy", "PUT", target, {}, { headers });
      return;
    }
    await this.copyPrefix(source, target, size);
  }

  private copySource(key: string): string {
    return `/${this.settings.bucket}/${key}`.split("/").map(encodeURIComponent).join("/");
  }
}

/** Ranges of at most 5 GiB covering `size` bytes, each at least 5 MiB (S3's part limits). */
export function copyRanges(size: number): { start: number; end: number }[] {
  const count = Math.ceil(size / MAX_COPY_BYTES);
  const each = Math.ceil(size / count);
  const out = [];
  for (let start = 0; start < size; start += each) out.push({ start, end: Math.min(size, start + each) - 1 });
  return out;
}
