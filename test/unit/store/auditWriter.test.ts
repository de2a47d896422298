import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type SqliteStores as Stores } from "../../../src/store";
import { InProcessAuditWriter } from "../../../src/store/auditWriter";
import type { AuditRecord, AuditRow, AuditSink } from "../../../src/store/meta/auditLogTypes";
import { tempDir } from "../../support/server";

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

function entry(over: Partial<AuditRecord> = {}): AuditRecord {
  return { kind: "pull_repo", namespace: { id: 7, name: "acme" }, repositoryId: 1, ip: "10.0.0.1", metadata: { repo: "app" }, at: T0, ...over };
}

/**
 * A sink that keeps each batch it was given, and refuses while `refusing` is set. As SQLite's
 * store does, it has written (or refused) when insert returns; while `held` is set, each insert
 * waits for release() to settle (a PostgreSQL round trip).
 */
function fakeSink() {
  const batches: AuditRow[][] = [];
  const waiting: (() => void)[] = [];
  const sink = {
    batches,
    refusing: false,
    held: false,
    release() {
      for (const go of waiting.splice(0)) go();
    },
    async insert(rows: readonly AuditRow[]) {
      if (sink.held) await new Promise<void>((go) => waiting.push(go));
      if (sink.refusing) throw new Error("refused");
      batches.push([...rows]);
    },
  };
  return sink satisfies AuditSink;
}

describe("InProcessAuditWriter", () => {
  test("entries wait in memory and reach the sink in one batch on flush", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    for (let i = 0; i < 150; i++) w.record(entry({ at: T0 + i }));
    expect(sink.batches).toEqual([]);
    expect(w.stats()).toMatchObject({ queued: 150, flushes: 0 });
    await w.flush();
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.map((r) => r.createdMs)).toEqual([...Array(150).keys()].map((i) => T0 + i));
    expect(w.stats()).toEqual({ queued: 0, flushes: 1, written: 150, dropped: 0 });
    await w.close();
  });

  test("an entry on its way (its caller still being looked up) is written by the next flush, and a failed one does not block it", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    let lookedUp!: () => void;
    const lookup = new Promise<void>((go) => (lookedUp = go)).then(() => w.record(entry({ kind: "push_repo" })));
    w.awaiting(lookup);
    w.awaiting(Promise.reject(new Error("lookup failed")));
    w.record(entry());
    const flushed = w.flush();
    await Bun.sleep(5);
    expect(sink.batches).toEqual([]);
    lookedUp();
    await flushed;
    expect(sink.batches.flat().map((r) => r.kind).sort()).toEqual(["pull_repo", "push_repo"]);
  });

  test("a record is serialised when taken: the caller may change its object afterwards", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    const metadata: Record<string, unknown> = { tag: "v1" };
    w.record(entry({ metadata, performer: { kind: "robot", id: 9, name: "acme+ci" } }));
    metadata.tag = "changed";
    await w.close();
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
    await w.close();
  });

  test("equal coalescing keys fold into one row with a count, built once per batch", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    let built = 0;
    const pull = (key: string) => w.recordCoalescing({ key, build: () => (built++, entry()) });
    for (let i = 0; i < 500; i++) pull("a");
    pull("b");
    await w.flush();
    pull("a"); // a new batch: a new row
    await w.close();
    expect(built).toBe(3);
    expect(sink.batches.map((b) => b.map((r) => r.count))).toEqual([[500, 1], [1]]);
  });

  test("a refused flush keeps the rows; requests do not retry, the next flush writes them", async () => {
    const sink = fakeSink();
    const reported: unknown[] = [];
    const w = new InProcessAuditWriter(sink, { maxBatch: 3, onFlushError: (e) => reported.push(e) });
    sink.refusing = true;
    for (let i = 0; i < 3; i++) w.record(entry({ at: T0 + i })); // the third starts a flush, which fails quietly
    await Bun.sleep(0); // its failure is heard when the sink's promise settles
    expect(reported).toHaveLength(1);
    expect(w.stats()).toMatchObject({ queued: 3, flushes: 0 });
    w.record(entry({ at: T0 + 3 })); // no new attempt per request while failing
    await Bun.sleep(0);
    expect(reported).toHaveLength(1);
    await expect(w.flush()).rejects.toThrow("refused"); // the caller of flush() hears it
    sink.refusing = false;
    await w.flush();
    expect(sink.batches[0]!.map((r) => r.createdMs)).toEqual([T0, T0 + 1, T0 + 2, T0 + 3]);
    expect(w.stats()).toEqual({ queued: 0, flushes: 1, written: 4, dropped: 0 });
    await w.close();
    expect(() => w.record(entry())).toThrow("closed");
  });

  test("a database that stays unwritable costs at most 50,000 queued rows: the oldest go", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink, { maxBatch: Number.MAX_SAFE_INTEGER, onFlushError: () => {} });
    for (let i = 0; i < 50_005; i++) w.record(entry({ at: T0 + i }));
    sink.refusing = true;
    await expect(w.flush()).rejects.toThrow("refused");
    expect(w.stats()).toMatchObject({ queued: 50_000, dropped: 5 });
    sink.refusing = false;
    await w.close();
    expect(sink.batches[0]![0]!.createdMs).toBe(T0 + 5);
  });

  test("one batch at a time: a flush during a write waits for it, then writes what came meanwhile, in order", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink);
    sink.held = true;
    w.record(entry({ at: T0 }));
    const first = w.flush();
    w.record(entry({ at: T0 + 1 }));
    w.record(entry({ at: T0 + 2 }));
    let secondDone = false;
    const second = w.flush().then(() => (secondDone = true));
    await Bun.sleep(5);
    expect(secondDone).toBe(false); // the first batch is not written yet: neither is anything after it
    expect(sink.batches).toEqual([]);
    sink.held = false;
    sink.release();
    await Promise.all([first, second]);
    expect(sink.batches.map((b) => b.map((r) => r.createdMs - T0))).toEqual([[0], [1, 2]]);
    expect(w.stats()).toEqual({ queued: 0, flushes: 2, written: 3, dropped: 0 });
    await w.close();
  });

  test("a flush with nothing queued still waits for the batch under way (a read sees what was taken before it)", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink, { maxBatch: 2 });
    sink.held = true;
    w.record(entry());
    w.record(entry()); // a full batch: its write starts now
    expect(w.stats().queued).toBe(0);
    const read = w.flush();
    await Bun.sleep(5);
    expect(sink.batches).toEqual([]);
    sink.held = false;
    sink.release();
    await read;
    expect(sink.batches.map((b) => b.length)).toEqual([2]);
    await w.close();
  });

  test("rows that fill a batch while one is written go when it is done, in one batch, not one flush each", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink, { maxBatch: 2, maxDelayMs: 60_000 });
    sink.held = true;
    for (let i = 0; i < 8; i++) w.record(entry({ at: T0 + i }));
    sink.held = false;
    sink.release();
    await Bun.sleep(5);
    expect(sink.batches.map((b) => b.length)).toEqual([2, 6]);
    await w.close();
  });

  test("close takes no more entries at once and writes the last ones, after a write under way", async () => {
    const sink = fakeSink();
    const w = new InProcessAuditWriter(sink, { maxBatch: 1 });
    sink.held = true;
    w.record(entry({ at: T0 })); // being written
    const closing = w.close();
    expect(() => w.record(entry())).toThrow("closed");
    expect(w.close()).toBe(closing);
    sink.held = false;
    sink.release();
    await closing;
    expect(sink.batches.map((b) => b.length)).toEqual([1]);
  });
});

describe("the stores' audit writer", () => {
  let dir: string;
  let stores: Stores;
  afterEach(async () => {
    await stores.close();
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
    await stores.close();
    stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
    expect(rowCount(stores)).toBe(6);
  });

  test("a batch the database refuses is kept whole (one transaction), then written", async () => {
    dir = tempDir("berth-auditw-");
    stores = openStores({ dataDir: dir, uploadTtlMs: 3600_000 });
    for (let i = 0; i < 3; i++) stores.auditWriter.record(entry({ at: T0 + i }));
    // The third row is refused: the first two must not be written either.
    stores.db.$client.exec(`CREATE TRIGGER refuse BEFORE INSERT ON log_entries WHEN NEW.created_ms = ${T0 + 2} BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    await expect(stores.auditWriter.flush()).rejects.toThrow("refused");
    expect(rowCount(stores)).toBe(0);
    stores.db.$client.exec("DROP TRIGGER refuse");
    await stores.auditWriter.flush();
    expect(rowCount(stores)).toBe(3);
  });
});
