// Everything /metrics shows, in one prom-client Registry per server: the per-request figures
// (requestMetrics.ts), the process's own (prom-client's default metrics), and what the
// registry's background work and stores report. Rare events (logins throttled, collection
// passes, webhook sends) use prom-client's counters directly; storage and quota figures are
// read from the store when scraped.
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { QuotaUse } from "../store/meta/quotas";
import { registerComputed } from "./promExport";
import { RequestMetrics } from "./requestMetrics";

/** What one collection pass freed (the collector's report has these fields and more). */
export interface CollectionFigures {
  manifestsCollected: number;
  filesRemoved: number;
  bytesFreed: number;
  uploadsRemoved: number;
  uploadBytesFreed: number;
  ms: number;
}

/** The store figures read at scrape time. */
export interface StorageFigures {
  /** Bytes of every stored blob, each once. */
  blobBytes(): Promise<number>;
  /** Namespaces with a quota: limit and use. */
  quotaUses(): Promise<QuotaUse[]>;
}

export type LoginOutcome = "throttled" | "failed" | "succeeded";

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new RequestMetrics();
  private readonly logins: Counter<"outcome">;
  private readonly gcPasses: Counter;
  private readonly gcBytesFreed: Counter<"kind">;
  private readonly gcRemoved: Counter<"kind">;
  private readonly gcLastPass: Gauge;
  private readonly webhooks: Counter<"outcome">;

  constructor(storage: StorageFigures) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "berth_" });
    this.requests.register(this.registry);
    this.logins = new Counter({ name: "berth_logins_total", help: "Credential checks (passwords, robot and app tokens) by outcome; throttled ones were refused before any check.", labelNames: ["outcome"], registers });
    for (const outcome of ["throttled", "failed", "succeeded"]) this.logins.inc({ outcome }, 0);
    this.gcPasses = new Counter({ name: "berth_gc_passes_total", help: "Collection passes completed (in the server).", registers });
    this.gcBytesFreed = new Counter({ name: "berth_gc_bytes_freed_total", help: "Bytes freed by collection: blob files and expired upload sessions.", labelNames: ["kind"], registers });
    this.gcRemoved = new Counter({ name: "berth_gc_removed_total", help: "What collection removed: manifests, blob files, upload sessions.", labelNames: ["kind"], registers });
    this.gcLastPass = new Gauge({ name: "berth_gc_last_pass_seconds", help: "How long the last collection pass took.", registers });
    for (const kind of ["blobs", "uploads"]) this.gcBytesFreed.inc({ kind }, 0);
    for (const kind of ["manifests", "blobs", "uploads"]) this.gcRemoved.inc({ kind }, 0);
    this.webhooks = new Counter({ name: "berth_webhook_deliveries_total", help: "Notification delivery attempts by outcome: delivered, failed (retried later), rejected (never deliverable).", labelNames: ["outcome"], registers });
    for (const outcome of ["delivered", "failed", "rejected"]) this.webhooks.inc({ outcome }, 0);
    registerComputed(this.registry, { name: "berth_storage_blob_bytes", help: "Bytes of all stored blobs, each counted once (uploads in progress aside).", type: "gauge" }, async () => [
      { labels: {}, value: await storage.blobBytes() },
    ]);
    // One read serves both quota series of a scrape: the limit series starts it, the use series
    // (registered after it, read after it) waits for the same answer.
    let uses: Promise<QuotaUse[]> = Promise.resolve([]);
    registerComputed(this.registry, { name: "berth_quota_limit_bytes", help: "A namespace's quota.", type: "gauge" }, async () => {
      uses = storage.quotaUses();
      return (await uses).map((u) => ({ labels: { namespace: u.namespace }, value: u.limitBytes }));
    });
    registerComputed(this.registry, { name: "berth_quota_used_bytes", help: "What a namespace with a quota uses.", type: "gauge" }, async () =>
      (await uses).map((u) => ({ labels: { namespace: u.namespace }, value: u.usedBytes })),
    );
  }

  login(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  collectionPass(r: CollectionFigures): void {
    this.gcPasses.inc();
    this.gcBytesFreed.inc({ kind: "blobs" }, r.bytesFreed);
    this.gcBytesFreed.inc({ kind: "uploads" }, r.uploadBytesFreed);
    this.gcRemoved.inc({ kind: "manifests" }, r.manifestsCollected);
    this.gcRemoved.inc({ kind: "blobs" }, r.filesRemoved);
    this.gcRemoved.inc({ kind: "uploads" }, r.uploadsRemoved);
    this.gcLastPass.set(r.ms / 1000);
  }

  webhookSent(outcome: { ok: boolean; permanent?: boolean }): void {
    this.webhooks.inc({ outcome: outcome.ok ? "delivered" : outcome.permanent ? "rejected" : "failed" });
  }

  /** The text exposition format. */
  async scrape(): Promise<Response> {
    return new Response(await this.registry.metrics(), { headers: { "Content-Type": this.registry.contentType, "Cache-Control": "no-store" } });
  }
}
