// Berth nodes (the compiled binary) serving one registry from one PostgreSQL database and one
// bucket prefix, each with its own data directory holding the first node's keys/, and what the
// end-to-end tests do with them: skopeo pushes and byte-for-byte pulls, registry tokens, the
// digest a node answers for a tag, chunked uploads over raw HTTP. Used by test/e2e/postgres.test.ts
// and test/e2e/nodes.test.ts.
import { expect } from "bun:test";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, startBinary, type BinaryServer } from "./server";
import { layoutBlobs, layoutRef, locationOf, MiB, OciLayoutWriter, rangeEnd, run } from "./e2eHelpers";
import { berthWithS3, freshS3Store, s3BinaryEnv, S3_SKIP_MESSAGE, testS3Settings } from "./s3";
import { scratchDatabases } from "../unit/store/pgScratch";

/** Put into database URLs: PostgreSQL's trust authentication ignores it, Berth must never show it. */
export const DB_PASSWORD = "Db-Pass-w0rd-never-shown";

/** The URL of a scratch database with a password in it. */
export function withPassword(url: string): string {
  const u = new URL(url);
  u.password = DB_PASSWORD;
  return u.toString();
}

/** An image in an OCI layout directory, pushed as `repo:tag`. */
export interface Image {
  repo: string;
  tag: string;
  layout: string;
}

/** A new image of `layers` random layers in the (empty) layout directory `layout`. */
export function ociImage(layout: string, repo: string, tag: string, layers: number, layerSize = MiB / 2): Image {
  const w = new OciLayoutWriter(layout);
  w.tag(tag, w.addImage({ layers, layerSize }).manifest);
  return { repo, tag, layout };
}

/** The digest of the manifest `tag` names in the image's layout. */
export function imageDigest(img: Image, tag = img.tag): string {
  return layoutRef(img.layout, tag)!.digest;
}

export const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

/** The Location of an upload answer, sent to `node` instead (any node continues any upload). */
export function onNode(node: { url: string }, location: string): string {
  return location.replace(/^https?:\/\/[^/]+/, node.url);
}

/** `location` with `?digest=` (or `&digest=`) added. */
export function withDigest(location: string, digest: string): string {
  return `${location}${location.includes("?") ? "&" : "?"}digest=${digest}`;
}

/**
 * One registry on one database and one storage, its nodes started with `start` (stopped together
 * by `stopAll`): skopeo and raw HTTP as the administrator.
 */
export class SharedRegistry {
  readonly nodes: BinaryServer[] = [];
  readonly basic: string;

  constructor(
    readonly database: string,
    readonly storage: string,
    private readonly opts: { password: string; service: string; pulledInto: (prefix: string) => string },
  ) {
    this.basic = `Basic ${Buffer.from(`admin:${opts.password}`).toString("base64")}`;
  }

  get creds(): string {
    return `admin:${this.opts.password}`;
  }

  /**
   * A node serving `dataDir` with token auth; `keysFrom` (a node's data directory) gives it the
   * registry's keys first, as a second node needs.
   */
  async start(dataDir: string, opts: { env?: Record<string, string>; keysFrom?: string } = {}): Promise<BinaryServer> {
    if (opts.keysFrom) cpSync(join(opts.keysFrom, "keys"), join(dataDir, "keys"), { recursive: true, force: false, errorOnExist: false });
    const srv = await startBinary({
      dataDir,
      args: ["--auth", "token", "--database", this.database, "--storage", this.storage],
      env: { ...s3BinaryEnv(), BERTH_ADMIN_PASSWORD: this.opts.password, BERTH_SERVICE: this.opts.service, ...opts.env },
    });
    this.nodes.push(srv);
    return srv;
  }

  /** Stops (SIGTERM) or kills (SIGKILL) a node, and forgets it. */
  async stop(srv: BinaryServer, how: "stop" | "kill" = "stop"): Promise<void> {
    await (how === "kill" ? srv.kill() : srv.stop());
    this.nodes.splice(this.nodes.indexOf(srv), 1);
  }

  async stopAll(): Promise<void> {
    for (const srv of this.nodes.splice(0)) await srv.stop().catch(() => {});
  }

  async push(srv: BinaryServer, img: Image, tag = img.tag): Promise<void> {
    await skopeo("copy", "-q", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", this.creds, `oci:${img.layout}:${img.tag}`, `docker://127.0.0.1:${srv.port}/${img.repo}:${tag}`);
  }

  /** Pulls `img` through `srv` into a new layout: the same manifest digest, every blob's bytes the same. */
  async expectPullsByteForByte(srv: BinaryServer, img: Image, tag = img.tag): Promise<void> {
    const back = this.opts.pulledInto("berth-nodes-pull-");
    await skopeo("copy", "-q", "--src-tls-verify=false", "--preserve-digests", "--src-creds", this.creds, `docker://127.0.0.1:${srv.port}/${img.repo}:${tag}`, `oci:${back}:${tag}`);
    expect(layoutRef(back, tag)?.digest).toBe(layoutRef(img.layout, img.tag)!.digest);
    const sent = layoutBlobs(img.layout);
    const got = layoutBlobs(back);
    expect([...got.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [digest, info] of got) {
      expect(info.actual).toBe(digest);
      expect(Buffer.compare(readFileSync(info.path), readFileSync(sent.get(digest)!.path))).toBe(0);
    }
  }

  /** Runs the binary (a chore, not a server) on this registry's database and storage: its exit code and whole output. */
  async chore(args: string[]): Promise<{ code: number; out: string }> {
    return berthWithS3(await buildBinary(), [...args, "--database", this.database, "--storage", this.storage]);
  }

  /** `berth fsck` with a node's data directory: nothing damaged (a blob row or a manifest's blob without its object included). */
  async expectFsckClean(dataDir: string): Promise<string> {
    const fsck = await this.chore(["fsck", "--data", dataDir]);
    expect(fsck.out).not.toContain("damage:");
    expect(fsck.code).toBe(0);
    return fsck.out;
  }

  /** A registry token for `scope` from the node at `url`. */
  async token(url: string, scope: string): Promise<string> {
    const res = await fetch(`${url}/v2/auth?${new URLSearchParams({ service: this.opts.service, scope })}`, { headers: { Authorization: this.basic } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }
}

/** The digest a tag's manifest GET answers on a node. */
export async function tagDigest(url: string, bearer: string, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  await res.arrayBuffer();
  return res.headers.get("docker-content-digest");
}

/** Polls a tag on a node until it answers `digest` or `withinMs` passed since `fromMs`; the last answer. */
export async function tagSeenWithin(url: string, bearer: string, repo: string, tag: string, digest: string, fromMs: number, withinMs: number): Promise<string | null> {
  let seen = await tagDigest(url, bearer, repo, tag);
  while (seen !== digest && Date.now() < fromMs + withinMs) {
    await Bun.sleep(10);
    seen = await tagDigest(url, bearer, repo, tag);
  }
  return seen;
}

/** A PATCH of `chunk` at `offset` to `location` (on whichever node it names): the next Location. */
export async function patchChunk(location: string, auth: Record<string, string>, offset: number, chunk: Uint8Array): Promise<string> {
  const res = await fetch(location, {
    method: "PATCH",
    headers: { ...auth, "Content-Range": `${offset}-${offset + chunk.byteLength - 1}`, "Content-Length": String(chunk.byteLength) },
    body: chunk,
  });
  expect(res.status).toBe(202);
  expect(rangeEnd(res)).toBe(offset + chunk.byteLength);
  return locationOf(location, res);
}

/** Why a test file needing PostgreSQL and S3 is skipped, or undefined when both are set. */
export function sharedRegistrySkip(what: string): string | undefined {
  const pg = process.env.BERTH_TEST_DATABASE;
  if (pg && testS3Settings()) return undefined;
  return `${S3_SKIP_MESSAGE}; BERTH_TEST_DATABASE is ${pg ? "set" : "unset"}: ${what} need both`;
}

export type ScratchBucket = Awaited<ReturnType<typeof freshS3Store>>;

/**
 * Registries on fresh databases (beside BERTH_TEST_DATABASE's) and fresh prefixes of the test
 * bucket, for one test file; `removeAll` stops their nodes and drops their databases and objects.
 */
export function scratchRegistries(opts: { password: string; service: string; pulledInto: (prefix: string) => string }) {
  const settings = testS3Settings();
  const scratch = scratchDatabases(process.env.BERTH_TEST_DATABASE ?? "");
  const made: { registry: SharedRegistry; bucket: ScratchBucket }[] = [];
  return {
    async create(): Promise<{ registry: SharedRegistry; bucket: ScratchBucket }> {
      if (!settings) throw new Error(S3_SKIP_MESSAGE);
      const bucket = await freshS3Store();
      const registry = new SharedRegistry(withPassword(await scratch.create()), `s3://${settings.bucket}/${bucket.prefix}`, opts);
      made.push({ registry, bucket });
      return { registry, bucket };
    },
    async removeAll(): Promise<void> {
      for (const { registry } of made) await registry.stopAll();
      for (const { bucket } of made.splice(0)) await bucket.cleanup();
      await scratch.drop();
    },
  };
}
