// Helpers for the end-to-end tests (test/e2e): deterministic byte streams that never sit in
// memory whole, streaming uploads and downloads over plain fetch, external tools (skopeo), and
// checks on the data directory a crashed server left behind.
import { createCipheriv } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * A seeded pseudo-random byte sequence (AES-128-CTR keystream over zeros: ~3 GB/s with AES-NI).
 * Any offset can be generated without the bytes before it, so a test can resume an upload at
 * whatever offset the server reports.
 */
export class SeededBytes {
  private readonly key: Buffer;

  constructor(seed: string) {
    this.key = Buffer.from(new Bun.CryptoHasher("sha256").update(seed).digest().subarray(0, 16));
  }

  /** Yields [start, start+length) in chunks of `chunk` bytes (each a fresh buffer: fetch may keep it). */
  *chunks(start: number, length: number, chunk = MiB): Generator<Uint8Array> {
    const iv = Buffer.alloc(16);
    // The counter block is start/16 as a 128-bit big-endian integer (the high half stays 0).
    iv.writeBigUInt64BE(BigInt(Math.floor(start / 16)), 8);
    const cipher = createCipheriv("aes-128-ctr", this.key, iv);
    // CTR is a stream: skipping into the block keeps the keystream aligned for any offset.
    if (start % 16) cipher.update(Buffer.alloc(start % 16));
    const zeros = Buffer.alloc(Math.min(chunk, Math.max(length, 1)));
    let left = length;
    while (left > 0) {
      const n = Math.min(chunk, left);
      const out = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
      yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      left -= n;
    }
  }

  /** A pull-based ReadableStream over chunks(): backpressure means one chunk or so in flight. */
  stream(start: number, length: number, chunk = MiB, onChunk?: (sent: number) => void): ReadableStream<Uint8Array> {
    const it = this.chunks(start, length, chunk);
    let sent = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const next = it.next();
          if (next.done) return controller.close();
          sent += next.value.byteLength;
          controller.enqueue(next.value);
          onChunk?.(sent);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** sha256 digest of [start, start+length), computed without holding the bytes. */
  digest(length: number, start = 0): string {
    const h = new Bun.CryptoHasher("sha256");
    for (const c of this.chunks(start, length, 4 * MiB)) h.update(c);
    return `sha256:${h.digest("hex")}`;
  }
}

/** Hashes a response body as it streams; returns the digest and the byte count. */
export async function hashBody(res: Response): Promise<{ digest: string; size: number }> {
  if (!res.body) return { digest: `sha256:${new Bun.CryptoHasher("sha256").digest("hex")}`, size: 0 };
  const h = new Bun.CryptoHasher("sha256");
  let size = 0;
  for await (const chunk of res.body) {
    h.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${h.digest("hex")}`, size };
}

export function sha256File(path: string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex")}`;
}

/** Streams a file through sha256 (files of any size). */
export async function sha256FileStreamed(path: string): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return `sha256:${h.digest("hex")}`;
}

/** Absolute Location of an upload answer. */
export function locationOf(base: string, res: Response): string {
  const loc = res.headers.get("location");
  if (!loc) throw new Error(`no Location in a ${res.status} answer`);
  return new URL(loc, base).toString();
}

/** Adds a query parameter to an upload Location (which may already carry a query). */
export function withQuery(location: string, key: string, value: string): string {
  const u = new URL(location);
  u.searchParams.set(key, value);
  return u.toString();
}

/**
 * The exclusive end offset a `Range: 0-N` upload answer reports (N+1). An empty session also
 * answers `0-0` (as the reference registry does), so only call this once bytes were accepted.
 */
export function rangeEnd(res: Response): number {
  const r = res.headers.get("range");
  if (!r) throw new Error(`no Range in a ${res.status} answer`);
  const m = /^(?:bytes=)?0-(\d+)$/.exec(r);
  if (!m) throw new Error(`malformed Range "${r}"`);
  return Number(m[1]) + 1;
}

/** Runs a command, returns stdout; throws with stderr unless it exits 0. */
export async function run(
  cmd: string[],
  opts: { cwd?: string; allowFail?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...opts.env } });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0 && !opts.allowFail) throw new Error(`${cmd.join(" ")} exited ${code}:\n${stderr}\n${stdout}`);
  return { code, stdout, stderr };
}

/** Runs `tasks` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Peak resident set (VmHWM) and current resident set (VmRSS) of a process, in bytes. */
export function processMemory(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
}

/** Every file under `<data>/blobs` as { digest its path names, path }. */
export function blobFiles(dataDir: string): { digest: string; path: string; size: number }[] {
  const out: { digest: string; path: string; size: number }[] = [];
  const root = join(dataDir, "blobs");
  let algs: string[] = [];
  try {
    algs = readdirSync(root);
  } catch {
    return out;
  }
  for (const alg of algs) {
    for (const prefix of readdirSync(join(root, alg))) {
      for (const hex of readdirSync(join(root, alg, prefix))) {
        const path = join(root, alg, prefix, hex);
        out.push({ digest: `${alg}:${hex}`, path, size: statSync(path).size });
      }
    }
  }
  return out;
}

/** Blob files whose content does not hash to their name (should be none, crash or not). */
export async function corruptBlobFiles(dataDir: string): Promise<string[]> {
  const bad: string[] = [];
  for (const f of blobFiles(dataDir)) {
    const [alg] = f.digest.split(":") as [string];
    const h = new Bun.CryptoHasher(alg as "sha256" | "sha512");
    for await (const chunk of Bun.file(f.path).stream()) h.update(chunk);
    if (`${alg}:${h.digest("hex")}` !== f.digest) bad.push(f.path);
  }
  return bad;
}

// ---------------------------------------------------------------------------------------------
// OCI image layouts built by hand (no umoci needed): real tar layers, gzip-compressed, a config
// whose diff_ids match, manifests, image indexes, and index.json tags.

export const OCI = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  refName: "org.opencontainers.image.ref.name",
} as const;

export interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

/** An entry of a hand-made tar: a file (type "0", the default), a link ("1", "2"), a directory ("5") or anything else. */
export interface TarEntrySpec {
  name: string;
  data?: Uint8Array;
  type?: string;
  linkName?: string;
}

/** A POSIX tar archive (ustar headers, data padded to 512, two zero blocks), with any names and types (for hostile archives too). */
export function tarArchive(entries: TarEntrySpec[]): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array();
    const header = new Uint8Array(512);
    const put = (s: string, off: number, len: number) => header.set(new TextEncoder().encode(s).subarray(0, len), off);
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
    put(e.name, 0, 100);
    put(octal(0o644, 8), 100, 8);
    put(octal(0, 8), 108, 8);
    put(octal(0, 8), 116, 8);
    put(octal(data.byteLength, 12), 124, 12);
    put(octal(0, 12), 136, 12);
    put("        ", 148, 8); // checksum counts as spaces while summing
    put(e.type ?? "0", 156, 1);
    put(e.linkName ?? "", 157, 100);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    let sum = 0;
    for (const b of header) sum += b;
    put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
    const padded = new Uint8Array(Math.ceil(data.byteLength / 512) * 512);
    padded.set(data);
    parts.push(header, padded);
  }
  parts.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(parts));
}

/** A one-file POSIX tar archive. */
export function tarOneFile(name: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  return tarArchive([{ name, data }]);
}

export function sha256Of(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

/** An OCI image layout directory being written. */
export class OciLayoutWriter {
  private readonly refs: LayoutDescriptor[] = [];

  constructor(readonly dir: string) {
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    this.writeIndex();
  }

  addBlob(mediaType: string, bytes: Uint8Array): LayoutDescriptor {
    const digest = sha256Of(bytes);
    writeFileSync(join(this.dir, "blobs", "sha256", digest.slice(7)), bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  /** An image of `layers` gzip tar layers, each holding `layerSize` random bytes. */
  addImage(opts: { architecture?: string; layers?: number; layerSize?: number } = {}): {
    manifest: LayoutDescriptor;
    config: LayoutDescriptor;
    layers: LayoutDescriptor[];
  } {
    const architecture = opts.architecture ?? "amd64";
    const layers: LayoutDescriptor[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < (opts.layers ?? 3); i++) {
      const size = (opts.layerSize ?? 2 * MiB) + i * 4099;
      const gen = new SeededBytes(crypto.randomUUID());
      const data = Buffer.concat([...gen.chunks(0, size)]);
      const tar = tarOneFile(`layer${i}/data-${architecture}.bin`, data);
      diffIds.push(sha256Of(tar));
      layers.push(this.addBlob(OCI.layerGzip, Bun.gzipSync(tar, { level: 1 })));
    }
    const config = this.addBlob(
      OCI.config,
      new TextEncoder().encode(
        JSON.stringify({
          architecture,
          os: "linux",
          created: "2024-01-01T00:00:00Z",
          config: { Env: ["PATH=/usr/bin"], Labels: { "test.nonce": crypto.randomUUID() } },
          rootfs: { type: "layers", diff_ids: diffIds },
          history: layers.map((_, i) => ({ created: "2024-01-01T00:00:00Z", created_by: `layer ${i}` })),
        }),
      ),
    );
    const manifestBytes = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI.manifest, config, layers }),
    );
    const manifest = this.addBlob(OCI.manifest, manifestBytes);
    return { manifest, config, layers };
  }

  /** An image index over manifests added here (each with its platform). */
  addIndex(children: LayoutDescriptor[]): LayoutDescriptor {
    const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: children }));
    return this.addBlob(OCI.index, bytes);
  }

  /** Names `desc` as `tag` in index.json. */
  tag(tag: string, desc: LayoutDescriptor): void {
    this.refs.push({ ...desc, annotations: { [OCI.refName]: tag } });
    this.writeIndex();
  }

  private writeIndex(): void {
    writeFileSync(
      join(this.dir, "index.json"),
      JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: this.refs }),
    );
  }
}

/** The blobs of a layout directory: digest → sha256 of the file's bytes (which must equal it). */
export function layoutBlobs(dir: string): Map<string, { actual: string; size: number; path: string }> {
  const out = new Map<string, { actual: string; size: number; path: string }>();
  const root = join(dir, "blobs", "sha256");
  for (const hex of readdirSync(root)) {
    const path = join(root, hex);
    out.set(`sha256:${hex}`, { actual: sha256File(path), size: statSync(path).size, path });
  }
  return out;
}

/** The descriptor index.json names `tag`. */
export function layoutRef(dir: string, tag: string): LayoutDescriptor | undefined {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: LayoutDescriptor[] };
  return index.manifests.find((m) => m.annotations?.[OCI.refName] === tag);
}

/** A response over a body whose first chunk was read already: that chunk, then the rest of `reader`. */
export function resumedBody(first: Uint8Array, reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(first),
      pull: async (c) => {
        const next = await reader.read();
        if (next.done) c.close();
        else c.enqueue(next.value!);
      },
    }),
  );
}

/** The serial number (upper-case hex) of the certificate a new TLS connection to 127.0.0.1:`port` is served, verified against `ca`. */
export function servedCertSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
      socket.end();
    });
    socket.on("error", reject);
  });
}
