// The registry over one runner, for suites that run on both dialects (describeEachDialect): its
// transactions, quota stores and events, with helpers that link blobs and push manifests.
import { RegistryEvents, SYSTEM_ACTOR, type RegistryEvent, type RepoRef } from "../../../src/events/registryEvents";
import { createLogger } from "../../../src/log";
import { Registry } from "../../../src/registry/registry";
import { runOperation } from "../../../src/registry/operation";
import * as blobSteps from "../../../src/registry/blobSteps";
import { one, type Runner } from "../../../src/store/dialect/program";
import { QuotaStore } from "../../../src/store/meta/quotas";
import { QuotaUsageStore } from "../../../src/store/meta/quotaUsage";
import { RegistryWrites } from "../../../src/store/registryWrites";
import type { UploadSessions } from "../../../src/store/uploadSessions";
import { addRepository } from "../store/eachDialect";

const actor = SYSTEM_ACTOR;
const enc = new TextEncoder();
export const sha256 = (bytes: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;

export function registryOver(runner: Runner) {
  const quotas = new QuotaStore(runner);
  const usage = new QuotaUsageStore(runner);
  const writes = new RegistryWrites(runner, { clear() {} }, { quotas, quotaUsage: usage });
  const events = new RegistryEvents(createLogger({ requests: false, write: () => {} }));
  const emitted: RegistryEvent[] = [];
  events.onAny((e) => emitted.push(e));
  const registry = new Registry({ writes, events, uploads: undefined as unknown as UploadSessions });
  /** Links a blob of `size` bytes, as a finished upload does. */
  const link = (repo: RepoRef, digest: string, size: number) => runOperation({ writes, events }, (op) => blobSteps.finishUpload(op, { repo, digest, size, actor }));
  const push = (repo: RepoRef, nonce: string, layers: string[] = [], tag?: string) => {
    const content = enc.encode(JSON.stringify({ schemaVersion: 2, layers, nonce }));
    const digest = sha256(content);
    const manifest = { digest, mediaType: "application/vnd.oci.image.manifest.v1+json", content, blobDigests: layers, childDigests: [] };
    return registry.pushManifest({ repo, manifest, requiredBlobs: layers, tag, actor }).then((outcome) => ({ digest, outcome }));
  };
  /** Opens the pool's connections (PostgreSQL), so operations started together run together rather than one while the others connect. */
  const warm = async () => {
    await Promise.all(Array.from({ length: 4 }, () => runner.transaction(function* ({ db, t }) {
      yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).limit(1));
    })));
  };
  return { registry, writes, events, quotas, usage, emitted, link, push, warm };
}

export async function repository(runner: Runner, fullName: string): Promise<RepoRef> {
  return { id: await addRepository(runner, fullName), name: fullName };
}
