// Stress: several clients push, re-tag, index, sign and delete images over /v2 in a loop while
// collection passes run back to back with no grace period (a time machine window of 0, so
// deleted tags free their images at once). A manifest PUT that loses a race answers 400
// MANIFEST_BLOB_UNKNOWN and the client pushes its blobs again; nothing else may fail. At the end
// every live tag pulls byte for byte, every referrer of a live image is listed, fsck finds
// nothing, and after one more pass the files on disk are exactly the blobs live manifests name.
// BERTH_STRESS_SCALE=10 runs ten times as many operations per client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkStore } from "../../src/registry/lifecycle/fsck";
import { asDescriptor, descriptor, digestOf, manifestBytes, MT, randomBytes, RegistryClient, utf8, type PushedBlob } from "../support/registryClient";
import { ROOT, startTestServer, type TestServer } from "../support/server";
import { choreBackend, storedBlobs, storedRows } from "../support/serverBackends";

const SCALE = Number(process.env.BERTH_STRESS_SCALE ?? 1);
const CLIENTS = 4;
const OPS = Math.round(12 * SCALE);
const BASE = utf8("a base layer every image shares, across repositories");

let server: TestServer;
let reg: RegistryClient;
beforeAll(async () => {
  server = await startTestServer({ gcGraceSeconds: "0", gcIntervalSeconds: "0" });
  reg = new RegistryClient(server.url);
  const stores = server.server.ctx.stores;
  await stores.repositories.ensure("stress/seed");
  await stores.namespaces.setTagExpiration((await stores.namespaces.settings("stress"))!.id, 0);
});
afterAll(async () => {
  await server?.stop();
});

interface Pushed {
  digest: string;
  bytes: Uint8Array;
  blobs: PushedBlob[];
  mediaType: string;
}

/** One client: its repository, what each of its tags should pull, and its referrers. */
class Client {
  readonly repo: string;
  readonly tags = new Map<string, Pushed>();
  readonly signatures = new Map<string, string>(); // subject digest → signature digest
  lostRaces = 0;

  constructor(readonly n: number) {
    this.repo = `stress/c${n}`;
  }

  private async pushBlobs(blobs: PushedBlob[]): Promise<void> {
    for (const b of blobs) await reg.pushBlob(this.repo, b.bytes, b.mediaType);
  }

  /** PUTs a manifest; a lost race with the collector pushes the blobs (or children) again. */
  private async put(reference: string, bytes: Uint8Array, mediaType: string, again: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { res } = await reg.putManifest(this.repo, reference, bytes, mediaType);
      if (res.status === 201) return;
      const body = await res.text();
      if (res.status !== 400 || !body.includes("MANIFEST_BLOB_UNKNOWN") || attempt === 20) throw new Error(`PUT ${this.repo}:${reference}: ${res.status} ${body}`);
      this.lostRaces++;
      await again();
    }
  }

  /** An image; a slow client lets passes start between its blobs and its manifest. */
  async image(reference?: string, subject?: Pushed, slow = false): Promise<Pushed> {
    const blobs = [
      descriptor(MT.ociConfig, utf8(JSON.stringify({ architecture: "amd64", os: "linux", nonce: crypto.randomUUID() }))),
      descriptor(MT.ociLayer, BASE),
      descriptor(MT.ociLayer, randomBytes(1024 + Math.floor(Math.random() * 16384))),
    ];
    await this.pushBlobs(blobs);
    if (slow) await Bun.sleep(Math.random() * 30);
    const manifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: asDescriptor(blobs[0]!),
      layers: blobs.slice(1).map(asDescriptor),
      ...(subject ? { subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.byteLength } } : {}),
    };
    const bytes = manifestBytes(manifest);
    const pushed = { digest: digestOf(bytes), bytes, blobs, mediaType: MT.ociManifest };
    await this.put(reference ?? pushed.digest, bytes, MT.ociManifest, () => this.pushBlobs(blobs));
    return pushed;
  }

  async index(tag: string): Promise<void> {
    const children = [await this.image(), await this.image()];
    const body = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: children.map((c) => ({ mediaType: c.mediaType, digest: c.digest, size: c.bytes.byteLength })) };
    const bytes = manifestBytes(body);
    // A lost race took a child pushed by digest moments ago: push the children again.
    await this.put(tag, bytes, MT.ociIndex, async () => {
      for (const c of children) await this.put(c.digest, c.bytes, c.mediaType, () => this.pushBlobs(c.blobs));
    });
    this.tags.set(tag, { digest: digestOf(bytes), bytes, blobs: children.flatMap((c) => c.blobs), mediaType: MT.ociIndex });
  }

  private forget(digest: string): void {
    for (const [tag, p] of this.tags) if (p.digest === digest) this.tags.delete(tag);
  }

  async step(i: number): Promise<void> {
    const tag = `t${i % 3}`;
    const live = [...this.tags.entries()];
    const pick = live[Math.floor(Math.random() * live.length)];
    switch (Math.floor(Math.random() * 6)) {
      case 0:
        this.tags.set(tag, await this.image(tag));
        return;
      case 1:
        this.tags.set(tag, await this.image(tag, undefined, true));
        return;
      case 2: // re-tag: the same manifest under another tag
        if (!pick) return;
        await this.put(tag, pick[1].bytes, pick[1].mediaType, () => this.pushBlobs(pick[1].blobs));
        this.tags.set(tag, pick[1]);
        return;
      case 3:
        if (!pick) return;
        expect((await reg.fetch(`/v2/${this.repo}/manifests/${pick[0]}`, { method: "DELETE" })).status).toBe(202);
        this.tags.delete(pick[0]);
        return;
      case 4:
        if (!pick || pick[1].mediaType !== MT.ociManifest) return this.index(tag);
        this.signatures.set(pick[1].digest, (await this.image(undefined, pick[1])).digest);
        return;
      case 5:
        if (!pick) return;
        expect((await reg.fetch(`/v2/${this.repo}/manifests/${pick[1].digest}`, { method: "DELETE" })).status).toBe(202);
        this.forget(pick[1].digest);
    }
  }
}

describe("collection under load", () => {
  test(`${CLIENTS} clients × ${OPS} operations while passes run back to back`, async () => {
    const ctx = server.server.ctx;
    const clients = Array.from({ length: CLIENTS }, (_, n) => new Client(n));
    let done = false;
    let passes = 0;
    const collecting = (async () => {
      while (!done) {
        await ctx.lifecycle.runOnce();
        passes++;
      }
    })();
    // And `berth gc` beside the server, in its own process: its transactions interleave with the
    // server's requests anywhere, not only where this process awaits (a few passes: each costs a
    // process start on a shared CI machine).
    let outside = 0;
    const collectingOutside = (async () => {
      while (!done && outside < 3 * SCALE) {
        const backend = choreBackend(server.server.ctx.config);
        const gc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "gc", "--grace", "0", "--data", server.dataDir, ...backend.args], {
          stdout: "pipe",
          stderr: "pipe",
          env: { ...process.env, ...backend.env },
        });
        const [out, code] = await Promise.all([new Response(gc.stdout).text(), gc.exited]);
        if (code !== 0) throw new Error(`berth gc: ${code} ${out} ${await new Response(gc.stderr).text()}`);
        outside++;
      }
    })();
    try {
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < OPS; i++) await c.step(i);
        }),
      );
    } finally {
      // Also when a client fails (or the server stops under a timed-out test): the passes must
      // end, or they loop on after the file and keep its run from finishing.
      done = true;
    }
    await Promise.all([collecting, collectingOutside]);
    expect(passes).toBeGreaterThan(1);
    expect(outside).toBeGreaterThan(0);

    // One more pass, as if after the files' minute: everything unreferenced goes.
    const lines = await ctx.lifecycle.runOnce(Date.now() + 120_000);
    expect(lines.find((line) => line.startsWith("collect: "))).toStartWith("collect: purged");

    const named = new Set<string>();
    for (const c of clients) {
      for (const [tag, p] of c.tags) {
        const res = await reg.fetch(`/v2/${c.repo}/manifests/${tag}`, { headers: { Accept: `${MT.ociManifest}, ${MT.ociIndex}` } });
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(p.bytes))).toBe(true);
        for (const b of p.blobs) {
          const blob = await reg.fetch(`/v2/${c.repo}/blobs/${b.digest}`);
          expect(blob.status).toBe(200);
          expect(digestOf(new Uint8Array(await blob.arrayBuffer()))).toBe(b.digest);
        }
      }
      for (const [subject, signature] of c.signatures) {
        if (![...c.tags.values()].some((p) => p.digest === subject)) continue;
        const listed = (await (await reg.fetch(`/v2/${c.repo}/referrers/${subject}`)).json()) as { manifests: { digest: string }[] };
        expect(listed.manifests.map((m) => m.digest)).toContain(signature);
      }
    }
    const report = await checkStore(
      { registry: ctx.registry, collection: ctx.stores.collection, integrity: ctx.stores.integrity, blobs: ctx.stores.blobs, uploads: ctx.stores.uploads },
      { repair: false, graceMs: 0, now: Date.now() + 120_000 },
    );
    expect(report.findings).toEqual([]);
    // The files left are exactly the blobs some remaining manifest names.
    for (const row of await storedRows<{ digest: string }>(ctx.config, "SELECT DISTINCT digest FROM manifest_blobs")) named.add(row.digest);
    expect([...(await storedBlobs(ctx.stores.blobs)).keys()].sort()).toEqual([...named].sort());
    console.log(`stress: ${passes} passes in the server, ${outside} beside it, ${clients.reduce((n, c) => n + c.lostRaces, 0)} manifest PUTs lost a race and were retried`);
  });
});
