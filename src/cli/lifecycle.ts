// `berth gc` and `berth fsck`: a collection pass and an integrity check on a data directory,
// beside a running server or not (both work in small transactions and re-check what they delete).
import { Collector, describeCollection } from "../registry/lifecycle/collector";
import { checkStore, damageLeft, type Finding, type FsckReport } from "../registry/lifecycle/fsck";
import type { Registry } from "../registry/registry";
import type { Stores } from "../store";
import { CliError } from "./accounts";

/** `--grace SECONDS`, or the configured grace period. */
export function graceSeconds(flag: string | undefined, configured: number): number {
  if (flag === undefined) return configured;
  const grace = Number(flag);
  if (!/^\d+$/.test(flag) || !Number.isSafeInteger(grace)) throw new CliError(`--grace must be a whole number of seconds, got "${flag}"`, 2);
  return grace;
}

/** One collection pass (or, dry, what it would free); the line the server would log. */
export async function gc(stores: Stores, registry: Registry, opts: { graceSeconds: number; dryRun: boolean; now?: number }): Promise<string> {
  // Its own process: the whole loop, but a few milliseconds between transactions, so the
  // server's writers (pushes, the audit log) find the lock free instead of backing off.
  const pace = { share: 1, writeGapMs: 5 };
  const collector = new Collector({ registry, reads: stores.collection, blobs: stores.blobs, uploads: stores.uploads }, { graceMs: opts.graceSeconds * 1000, pace });
  const report = await collector.collect(opts.now ?? Date.now(), { dryRun: opts.dryRun });
  return opts.dryRun ? `gc --dry-run: would have ${describeCollection(report)} (nothing was changed)` : `gc: ${describeCollection(report)}`;
}

/** The check's findings, one a line, and a summary; exit status 1 while damage is left. */
export async function fsck(stores: Stores, registry: Registry, opts: { repair: boolean; graceSeconds: number; now?: number }): Promise<{ text: string; exitCode: number }> {
  const report = await checkStore(
    { registry, collection: stores.collection, integrity: stores.integrity, blobs: stores.blobs, uploads: stores.uploads },
    { repair: opts.repair, graceMs: opts.graceSeconds * 1000, now: opts.now ?? Date.now() },
  );
  const lines = report.findings.map(describeFinding);
  lines.push(summary(report));
  return { text: lines.join("\n"), exitCode: damageLeft(report) > 0 ? 1 : 0 };
}

function describeFinding(f: Finding): string {
  return `${f.damage ? "damage" : "leftover"}: ${f.kind} ${f.subject}: ${f.detail}${f.repaired ? ` [repaired: ${f.repaired}]` : ""}`;
}

function summary(r: FsckReport): string {
  const checked = `fsck: checked ${r.blobs} blobs (${r.bytesHashed} bytes re-hashed), ${r.manifests} manifests, ${r.uploads} upload sessions`;
  if (r.findings.length === 0) return `${checked}: clean`;
  const damage = r.findings.filter((f) => f.damage).length;
  const leftovers = r.findings.length - damage;
  const repaired = r.findings.filter((f) => f.repaired).length;
  const left = damageLeft(r);
  return (
    `${checked}: ${damage} damaged, ${leftovers} leftovers, ${repaired} repaired; ` +
    (left ? `${left} damaged left (see above)` : "no damage left")
  );
}
