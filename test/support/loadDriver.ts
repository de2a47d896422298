// A load driver for /v2 over plain fetch: `clients` concurrent loops, each pushing an image (a
// shared base layer as clients do it, HEAD first; a layer of its own; a config; a manifest under a
// fresh tag) and pulling two images others acknowledged, checking every byte by digest. Used by
// test/e2e/load.test.ts and scripts/load.ts. Independent of bun:test, so a script can run it.
import { readFileSync } from "node:fs";
import { SeededBytes } from "./e2eHelpers";

const KiB = 1024;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

export interface LoadOptions {
  base: string;
  clients: number;
  seconds: number;
  /** Repositories `load/r0…` the clients share (pushes race on tags and blobs in each). */
  repos?: number;
  /** Token auth: the account whose Basic credentials /v2/auth gets. None: --auth none. */
  user?: string;
  password?: string;
  /**
   * Aborted: the loops stop, and failures from then on are "cut off", not errors. A crash test
   * aborts right after it kills the server: requests in flight are not cancelled, they fail.
   */
  signal?: AbortSignal;
  /** Distinguishes runs on one data directory (tags and layers). */
  runId?: string;
}

export interface AckedImage {
  repo: string;
  tag: string;
  digest: string;
  blobs: { digest: string; size: number }[];
}

export interface LoadStats {
  pushes: number;
  pulls: number;
  requests: number;
  bytesUp: number;
  bytesDown: number;
  errors: number;
  errorSamples: string[];
  cutOff: number;
  /** Every image whose manifest PUT answered 201. */
  acked: AckedImage[];
  pushMs: number[];
  pullMs: number[];
}

interface Blob {
  digest: string;
  bytes: Uint8Array;
}

const SHARED_LAYERS = 4;
const SHARED_SIZE = 512 * KiB;

function blobOf(seed: string, size: number): Blob {
  const bytes = Buffer.concat([...new SeededBytes(seed).chunks(0, size, 64 * KiB)]);
  return { digest: `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`, bytes };
}

/** A /v2/auth token for pull,push on every load repository (one per client, as docker keeps one). */
export async function loadToken(base: string, user: string, password: string, repos: number): Promise<string> {
  const q = new URLSearchParams({ service: new URL(base).host });
  for (let r = 0; r < repos; r++) q.append("scope", `repository:load/r${r}:pull,push`);
  const res = await fetch(`${base}/v2/auth?${q}`, { headers: { Authorization: `Basic ${btoa(`${user}:${password}`)}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/v2/auth answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { token: string }).token;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

class Failure extends Error {}

export async function runLoad(opts: LoadOptions): Promise<LoadStats> {
  const repos = opts.repos ?? 8;
  const runId = opts.runId ?? crypto.randomUUID().slice(0, 8);
  const stats: LoadStats = { pushes: 0, pulls: 0, requests: 0, bytesUp: 0, bytesDown: 0, errors: 0, errorSamples: [], cutOff: 0, acked: [], pushMs: [], pullMs: [] };
  const shared = Array.from({ length: SHARED_LAYERS }, (_, i) => blobOf(`load-shared-${i}`, SHARED_SIZE + i));
  const end = performance.now() + opts.seconds * 1000;
  const stopped = () => opts.signal?.aborted || performance.now() >= end;

  async function client(id: number): Promise<void> {
    const token = opts.user && opts.password ? await loadToken(opts.base, opts.user, opts.password, repos) : undefined;
    const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};

    const call = async (path: string, init: RequestInit, expected: number[]): Promise<Response> => {
      stats.requests++;
      const url = path.startsWith("http") ? path : `${opts.base}${path}`;
      const res = await fetch(url, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
      if (!expected.includes(res.status)) {
        throw new Failure(`${init.method ?? "GET"} ${new URL(url).pathname} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      }
      return res;
    };

    const pushBlob = async (repo: string, blob: Blob, monolithic: boolean): Promise<void> => {
      const head = await call(`/v2/${repo}/blobs/${blob.digest}`, { method: "HEAD" }, [200, 404]);
      if (head.status === 200) return;
      stats.bytesUp += blob.bytes.byteLength;
      if (monolithic) {
        await (await call(`/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, { method: "POST", body: blob.bytes }, [201])).arrayBuffer();
        return;
      }
      const post = await call(`/v2/${repo}/blobs/uploads/`, { method: "POST" }, [202]);
      await post.arrayBuffer();
      const location = new URL(post.headers.get("location")!, opts.base);
      const patch = await call(location.toString(), { method: "PATCH", body: blob.bytes, headers: { "Content-Type": "application/octet-stream" } }, [202]);
      await patch.arrayBuffer();
      const done = new URL(patch.headers.get("location")!, opts.base);
      done.searchParams.set("digest", blob.digest);
      await (await call(done.toString(), { method: "PUT" }, [201])).arrayBuffer();
    };

    const pushImage = async (k: number): Promise<void> => {
      const repo = `load/r${(id + k) % repos}`;
      const base = shared[(id + k) % SHARED_LAYERS]!;
      const own = blobOf(`load-${runId}-${id}-${k}`, 4 * KiB + ((id * 7919 + k * 104729) % (60 * KiB)));
      const config = { digest: "", bytes: new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, client: id, k, runId })) };
      config.digest = `sha256:${new Bun.CryptoHasher("sha256").update(config.bytes).digest("hex")}`;
      await pushBlob(repo, base, k % 2 === 0);
      await pushBlob(repo, own, k % 2 === 1);
      await pushBlob(repo, config, true);
      const layers = [base, own].map((b) => ({ mediaType: OCI_LAYER, digest: b.digest, size: b.bytes.byteLength }));
      const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.bytes.byteLength }, layers }));
      const tag = `c${id}-${runId}-${k}`;
      stats.bytesUp += manifest.byteLength;
      const put = await call(`/v2/${repo}/manifests/${tag}`, { method: "PUT", body: manifest, headers: { "Content-Type": OCI_MANIFEST } }, [201]);
      await put.arrayBuffer();
      const digest = `sha256:${new Bun.CryptoHasher("sha256").update(manifest).digest("hex")}`;
      if (put.headers.get("docker-content-digest") !== digest) throw new Failure(`manifest ${repo}:${tag}: server says ${put.headers.get("docker-content-digest")}, sent ${digest}`);
      stats.acked.push({ repo, tag, digest, blobs: [config, base, own].map((b) => ({ digest: b.digest, size: b.bytes.byteLength })) });
      stats.pushes++;
    };

    const pullImage = async (image: AckedImage): Promise<void> => {
      const m = await call(`/v2/${image.repo}/manifests/${image.tag}`, { headers: { Accept: OCI_MANIFEST } }, [200]);
      const got = await checkBody(m, image.digest, undefined);
      stats.bytesDown += got;
      for (const b of image.blobs) {
        const n = await checkBody(await call(`/v2/${image.repo}/blobs/${b.digest}`, {}, [200]), b.digest, b.size);
        stats.bytesDown += n; // not `+= await`: that reads the total before the await and loses others' bytes
      }
      stats.pulls++;
    };

    for (let k = 0; !stopped(); k++) {
      try {
        let t = performance.now();
        await pushImage(k);
        stats.pushMs.push(performance.now() - t);
        for (let p = 0; p < 2 && stats.acked.length && !stopped(); p++) {
          t = performance.now();
          await pullImage(stats.acked[Math.floor(Math.random() * stats.acked.length)]!);
          stats.pullMs.push(performance.now() - t);
        }
      } catch (e) {
        if (opts.signal?.aborted) {
          stats.cutOff++;
          return;
        }
        stats.errors++;
        if (stats.errorSamples.length < 10) stats.errorSamples.push(`client ${id}: ${e instanceof Failure ? e.message : String(e)}`);
      }
    }
  }

  await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)));
  return stats;
}

/** Hashes a body; throws unless it has this digest (and size). Returns the byte count. */
async function checkBody(res: Response, digest: string, size: number | undefined): Promise<number> {
  const h = new Bun.CryptoHasher("sha256");
  let n = 0;
  for await (const chunk of res.body!) {
    h.update(chunk);
    n += chunk.byteLength;
  }
  const got = `sha256:${h.digest("hex")}`;
  if (got !== digest || (size !== undefined && n !== size)) throw new Failure(`${res.url}: got ${got} (${n} bytes), want ${digest}${size === undefined ? "" : ` (${size} bytes)`}`);
  return n;
}

/**
 * Pulls every acknowledged image (manifest by tag, each blob once) and checks it byte for byte
 * by digest. Returns what did not match or could not be fetched.
 */
export async function verifyAcked(base: string, acked: AckedImage[], token?: string, concurrency = 16): Promise<{ images: number; blobs: number; failures: string[] }> {
  const auth: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const failures: string[] = [];
  const blobs = new Map<string, string>(); // digest → repo to fetch it from
  for (const a of acked) for (const b of a.blobs) if (!blobs.has(b.digest)) blobs.set(b.digest, a.repo);
  const sizes = new Map(acked.flatMap((a) => a.blobs.map((b) => [b.digest, b.size] as const)));
  const jobs: (() => Promise<void>)[] = [
    ...acked.map((a) => async () => {
      const res = await fetch(`${base}/v2/${a.repo}/manifests/${a.tag}`, { headers: { ...auth, Accept: OCI_MANIFEST } });
      if (res.status !== 200) throw new Failure(`${a.repo}:${a.tag} answered ${res.status}`);
      await checkBody(res, a.digest, undefined);
    }),
    ...[...blobs].map(([digest, repo]) => async () => {
      const res = await fetch(`${base}/v2/${repo}/blobs/${digest}`, { headers: auth });
      if (res.status !== 200) throw new Failure(`${repo}@${digest} answered ${res.status}`);
      await checkBody(res, digest, sizes.get(digest));
    }),
  ];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        await job().catch((e) => failures.push(String(e instanceof Error ? e.message : e)));
      }
    }),
  );
  return { images: acked.length, blobs: blobs.size, failures };
}

/** Samples a process's VmRSS every `everyMs`; stop() gives the peak and the VmHWM then. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { peakMiB: number; hwmMiB: number } } {
  const read = (field: string) => {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, read("VmRSS"))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakMiB: Math.max(peak, read("VmRSS")), hwmMiB: read("VmHWM") };
    },
  };
}
