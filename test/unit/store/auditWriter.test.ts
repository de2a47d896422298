import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import { InProcessAuditWriter } from "../../../src/store/auditWriter";
import type { AuditRecord, AuditRow, AuditSink } from "../../../src/store/meta/auditLogTypes";
import { tempDir } from "../../support/server";

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

function entry(over: Partial<AuditRecord> = {}): AuditRecord {
  return { kind: "pull_repo", namespace: { id: 7, name: "acme" }, repositoryId: 1, ip: "10.0.0.1", metadata: { repo: "app" }, at: T0, ...over };
}

/** A sink that keeps each batch it was given, and refuses while `refusing` is set. */
function fakeSink() {
  const batches: AuditRow[][] = [];
  const sink = {
    batches,
    refusing: false,
    insert(rows: readonly AuditRow[]) {
      if (sink.refusing) throw new Error("refused");
      batches.push([...rows]);
    },
  };
  return sink satisfies AuditSink;
}

describe("InProcessAuditWriter", () => {
  test("entries wait in memory and reach the sink in one batch on flush", () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    for (let i = 0; i < 150; i++) w.record(entry({ at: T0 + i }));
    expect(sink.batches).toEqual([]);
    expect(w.stats()).toMatchObject({ queued: 150, flushes: 0 });
    w.flush();
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.map((r) => r.createdMs)).toEqual([...Array(150).keys()].map((i) => T0 + i));
    expect(w.stats()).toEqual({ queued: 0, flushes: 1, written: 150, dropped: 0 });
    w.close();
  });

  test("a record is serialised when taken: the caller may change its object afterwards", () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    const metadata: Record<string, unknown> = { tag: "v1" };
    w.record(entry({ metadata, performer: { kind: "robot", id: 9, name: "acme+ci" } }));
    metadata.tag = "changed";
    w.close();
    expect(sink.batches[0]).toEqual([
      {
        kind: "pull_repo",
        count: 1,
        namespaceId: 7,
        namespaceName: "acme",
        repositoryId: 1,
        performerKind: "robot",
        performerId: 9,
        performerName: "acme+ci",
        ip: "10.0.0.1",
        metadata: '{"tag":"v1"}',
        createdMs: T0,
      },
    ]);
  });

  test("a full batch goes at once; the timer sends a partial one after maxDelayMs", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink, { maxBatch: 3, maxDelayMs: 20 });
    w.record(entry());
    w.record(entry());
    expect(sink.batches).toHaveLength(0);
    w.record(entry());
    expect(sink.batches.map((b) => b.length)).toEqual([3]);
    w.record(entry());
    await Bun.sleep(5);
    expect(sink.batches).toHaveLength(1);
    await Bun.sleep(60);
    expect(sink.batches.map((b) => b.length)).toEqual([3, 1]);
    w.close();
  });

  test("equal coalescing keys fold into one row with a count, built once per batch", () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    let built = 0;
    const pull = (key: string) => w.recordCoalescing({ key, build: () => (built++, entry()) });
    for (let i = 0; i < 500; i++) pull("a");
    pull("b");
    w.flush();
    pull("a"); // a new batch: a new row
    w.close();
    expect(built).toBe(3);
    expect(sink.batches.map((b) => b.map((r) => r.count))).toEqual([[500, 1], [1]]);
  });

  test("a refused flush keeps the rows; requests do not retry, the next flush writes them", () => {
    const sink = fakeSink();
    const reported: unknown[] = [];
    const w = new InProcessAuditWriter(sink, { maxBatch: 3, onFlushError: (e) => reported.push(e) });
    sink.refusing = true;
    for (let i = 0; i < 3; i++) w.record(entry({ at: T0 + i })); // the third starts a flush, which fails quietly
    expect(reported).toHaveLength(1);
    expect(w.stats()).toMatchObject({ queued: 3, flushes: 0 });
    w.record(entry({ at: T0 + 3 })); // no new attempt per request while failing
    expect(reported).toHaveLength(1);
    expect(() => w.flush()).toThrow("refused"); // the caller of flush() hears it
    sink.refusing = false;
    w.flush();
    expect(sink.batches[0]!.map((r) => r.createdMs)).toEqual([T0, T0 + 1, T0 + 2, T0 + 3]);
    expect(w.stats()).toEqual({ queued: 0, flushes: 1, written: 4, dropped: 0 });
    w.close();
    expect(() => w.record(entry())).toThrow("closed");
  });

  test("a database that stays unwritable costs at most 50,000 queued rows: the oldest go", () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink, { maxBatch: Number.MAX_SAFE_INTEGER, onFlushError: () => {} });
    for (let i = 0; i < 50_005; i++) w.record(entry({ at: T0 + i }));
    sink.refusing = true;
    expect(() => w.flush()).toThrow("refused");
    expect(w.stats()).toMatchObject({ queued: 50_000, dropped: 5 });
    sink.refusing = false;
    w.close();
    expect(sink.batches[0]![0]!.createdMs).toBe(T0 + 5);
  });
});

describe("the stores' audit writer", () => {
  let dir: string;
  let stores: Stores;
  afterEach(() => {
    stores.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const rowCount = (s: Stores) => s.db.$client.prepare<{ n: number }, []>("SELECT COUNT(*) AS n FROM log_entries").get()!.n;

  test("writes to the audit log; reads see queued entries; close writes the rest before the database closes", async () => {
    dir = tempDir("berth-auditw-");
    stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
    for (let i = 0; i < 5; i++) stores.auditWriter.record(entry({ at: T0 + i }));
    expect(rowCount(stores)).toBe(0);
    expect((await stores.auditLog.page({ startMs: 0, endMs: T0 + 3 })).entries).toHaveLength(3);
    stores.auditWriter.record(entry({ at: T0 + 10 }));
    stores.close();
    stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
    expect(rowCount(stores)).toBe(6);
  });

  test("a batch the database refuses is kept whole (one transaction), then written", () => {
    dir = tempDir("berth-auditw-");
    stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
    for (let i = 0; i < 3; i++) stores.auditWriter.record(entry({ at: T0 + i }));
    // The third row is refused: the first two must not be written either.
    stores.db.$client.exec(`CREATE TRIGGER refuse BEFORE INSERT ON log_entries WHEN NEW.created_ms = ${T0 + 2} BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    expect(() => stores.auditWriter.flush()).toThrow("refused");
    expect(rowCount(stores)).toBe(0);
    stores.db.$client.exec("DROP TRIGGER refuse");
    stores.auditWriter.flush();
    expect(rowCount(stores)).toBe(3);
  });
});
