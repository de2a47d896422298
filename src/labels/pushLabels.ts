// Push-time labels: after a manifest push, the image's labels (its config's Labels and, for OCI
// images, the manifest's annotations) are stored on the manifest with source "manifest", and
// the special ones act on the tags pointing at it: `quay.immutable=true` makes them immutable,
// `quay.expires-after=<duration>` makes them expire that long after they started. As in Quay
// this happens once, when the manifest's labels are first stored; a re-push changes nothing.
//
// The push event fires after the response is decided, so the work runs on its own: the config
// blob is read asynchronously (and only when small), and failures are logged, never thrown.

import type { EventOf, RegistryEvents, RepoRef } from "../events/registryEvents";
import type { Logger } from "../log";
import { configLabels, imageLabels, labelEffects, manifestLabelSource, type LabelEffects } from "../oci";
import type { Stores } from "../store";

/** Image configs are a few KiB; anything past this is not read for labels. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/**
 * Images carry tens of labels; a 1 MiB config can name 80 000, which took seconds of one write
 * transaction and as many rows per pushed manifest. An image over this keeps none.
 */
export const MAX_IMAGE_LABELS = 1000;

type LabelStores = Pick<Stores, "manifests" | "blobs" | "labels">;

/**
 * Makes the effects happen to the manifest's live tags (the registry's applyLabelEffects, so the
 * same guards apply as to any tag change) and names the tags changed.
 */
export type ApplyLabelEffects = (
  target: { repo: RepoRef; digest: string },
  effects: LabelEffects,
) => Promise<{ kind: string; immutableTags?: string[]; expiringTags?: string[] }>;

export type PushLabelsOutcome =
  | { kind: "none" }
  /** The manifest already had its labels: nothing changed. */
  | { kind: "alreadyLabelled" }
  | { kind: "configUnreadable"; reason: string }
  | { kind: "tooManyLabels"; count: number }
  | { kind: "labelled"; count: number; immutableTags: string[]; expiringTags: string[] };

/**
 * Wires push-time labels to the registry's push event. `settled()` answers once the labels of
 * every push so far are applied (a CLI process waits for it before closing the database).
 */
export function listenForPushLabels(events: RegistryEvents, stores: LabelStores, apply: ApplyLabelEffects, log: Logger): { settled(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  events.on("manifestPushed", (event) => {
    // Off the request's path entirely: not even the manifest lookup delays the response.
    const done = new Promise<void>((resolve) =>
      setImmediate(() => {
        void applyPushLabels(stores, apply, event)
          .then(
            (outcome) => {
              if (outcome.kind === "configUnreadable") log.info(`labels of ${event.repo.name}@${event.digest} skipped: ${outcome.reason}`);
              if (outcome.kind === "tooManyLabels") log.info(`labels of ${event.repo.name}@${event.digest} skipped: ${outcome.count} labels, over ${MAX_IMAGE_LABELS}`);
            },
            (err) => log.error(`labels of ${event.repo.name}@${event.digest} failed`, err),
          )
          .finally(resolve);
      }),
    );
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  });
  return {
    async settled() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
  };
}

/** Reads, stores and applies the pushed manifest's labels. */
export async function applyPushLabels(
  stores: LabelStores,
  apply: ApplyLabelEffects,
  event: Pick<EventOf<"manifestPushed">, "repo" | "digest">,
  maxConfigBytes = MAX_CONFIG_BYTES,
): Promise<PushLabelsOutcome> {
  const manifest = await stores.manifests.getByDigest(event.repo.id, event.digest);
  if (!manifest) return { kind: "none" };
  const source = manifestLabelSource(manifest.content, manifest.mediaType);
  let labels: Record<string, string>;
  if (source.kind === "none") return { kind: "none" };
  if (source.kind === "annotations") labels = source.labels;
  else {
    const config = await readConfig(stores, source.configDigest, source.configSize, maxConfigBytes);
    if (!config.ok) return { kind: "configUnreadable", reason: config.reason };
    labels = imageLabels(configLabels(config.bytes), source.annotations);
  }
  const count = Object.keys(labels).length;
  if (!count) return { kind: "none" };
  if (count > MAX_IMAGE_LABELS) return { kind: "tooManyLabels", count };
  if (!(await stores.labels.addFromManifest(manifest.id, labels))) return { kind: "alreadyLabelled" };
  const effects = labelEffects(labels);
  if (!effects.immutable && effects.expiresAfterMs === undefined) return { kind: "labelled", count, immutableTags: [], expiringTags: [] };
  const applied = await apply({ repo: event.repo, digest: event.digest }, effects);
  return { kind: "labelled", count, immutableTags: applied.immutableTags ?? [], expiringTags: applied.expiringTags ?? [] };
}

async function readConfig(
  stores: LabelStores,
  digest: string,
  declaredSize: number,
  max: number,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: string }> {
  if (declaredSize > max) return { ok: false, reason: `config is ${declaredSize} bytes, over ${max}` };
  const stat = await stores.blobs.stat(digest);
  if (!stat.exists) return { ok: false, reason: `config blob ${digest} is missing` };
  if (stat.size > max) return { ok: false, reason: `config is ${stat.size} bytes, over ${max}` };
  return { ok: true, bytes: new Uint8Array(await stores.blobs.read(digest).arrayBuffer()) };
}
