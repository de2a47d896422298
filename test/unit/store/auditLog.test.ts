// The audit log's SQL (AuditLogStore) with the writer in front of it, the same assertions on
// SQLite and on PostgreSQL (./eachDialect.ts).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { all, type Runner } from "../../../src/store/dialect/program";
import { AuditLogStore, auditRow, type AuditRecord, type LogFilter } from "../../../src/store/meta/auditLog";
import { InProcessAuditWriter } from "../../../src/store/auditWriter";
import { describeEachDialect } from "./eachDialect";

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // noon UTC, 1 May 2024
const ALL: LogFilter = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

const acme = { id: 7, name: "acme" };
const alice = { kind: "user" as const, id: 3, name: "alice" };
const bot = { kind: "robot" as const, id: 9, name: "acme+ci" };

function entry(over: Partial<AuditRecord> = {}): AuditRecord {
  return { kind: "pull_repo", namespace: acme, repositoryId: 1, performer: alice, ip: "10.0.0.1", metadata: { repo: "app" }, at: T0, ...over };
}

function rowCount(runner: Runner): Promise<number> {
  return runner.run(function* ({ db, t }) {
    return (yield* all(db.select({ id: t.logEntries.id }).from(t.logEntries))).length;
  });
}

describeEachDialect("auditLog.test.ts", "AuditLogStore", (backend) => {
  let runner: Runner;
  let log: AuditLogStore;
  let writer: InProcessAuditWriter;
  // In a block of their own, so the writer closes before the database does.
  describe("with its writer", () => {
  beforeEach(() => {
    runner = backend().runner;
    log = new AuditLogStore(runner, () => writer.flush());
    writer = new InProcessAuditWriter(log);
  });
  afterEach(async () => {
    await writer.close();
  });

    describe("record and page", () => {
      test("an entry comes back whole, newest first, and a reader sees its own writes", async () => {
        writer.record(entry({ kind: "push_repo", metadata: { repo: "app", namespace: "acme", tag: "v1" }, at: T0 }));
        writer.record(entry({ kind: "pull_repo", performer: bot, ip: undefined, metadata: { repo: "app", tag: "v1" }, at: T0 + 1 }));
        writer.record({ kind: "pull_repo", metadata: {}, at: T0 + 2 }); // anonymous, no namespace
        const { entries, next } = await log.page(ALL);
        expect(next).toBeUndefined();
        expect(entries.map((e) => e.createdMs)).toEqual([T0 + 2, T0 + 1, T0]);
        expect(entries[2]).toEqual({
          id: entries[2]!.id,
          kind: "push_repo",
          namespaceName: "acme",
          performer: { kind: "user", name: "alice" },
          ip: "10.0.0.1",
          metadata: { repo: "app", namespace: "acme", tag: "v1" },
          createdMs: T0,
        });
        expect(entries[1]!.performer).toEqual({ kind: "robot", name: "acme+ci" });
        expect(entries[1]!.ip).toBeUndefined();
        expect(entries[0]).toEqual({ id: entries[0]!.id, kind: "pull_repo", metadata: {}, createdMs: T0 + 2 });
      });

      test("filters: namespace, repository, performer, kinds, and the window [start, end)", async () => {
        writer.record(entry({ kind: "push_repo", at: T0 }));
        writer.record(entry({ kind: "pull_repo", at: T0 + 10, performer: bot }));
        writer.record(entry({ kind: "pull_repo", at: T0 + 20, namespace: { id: 8, name: "other" }, repositoryId: 2 }));
        writer.record(entry({ kind: "delete_tag", at: T0 + 30, repositoryId: 3 }));
        const kinds = async (f: Partial<LogFilter>) => (await log.page({ ...ALL, ...f })).entries.map((e) => `${e.kind}@${e.createdMs - T0}`);
        expect(await kinds({ namespaceId: 7 })).toEqual(["delete_tag@30", "pull_repo@10", "push_repo@0"]);
        expect(await kinds({ namespaceId: 8 })).toEqual(["pull_repo@20"]);
        expect(await kinds({ repositoryId: 1 })).toEqual(["pull_repo@10", "push_repo@0"]);
        expect(await kinds({ performerName: "acme+ci" })).toEqual(["pull_repo@10"]);
        expect(await kinds({ performerName: "nobody" })).toEqual([]);
        expect(await kinds({ kinds: ["push_repo", "delete_tag"] })).toEqual(["delete_tag@30", "push_repo@0"]);
        expect(await kinds({ kinds: [] })).toEqual([]);
        expect(await kinds({ excludeKinds: ["pull_repo"] })).toEqual(["delete_tag@30", "push_repo@0"]);
        expect(await kinds({ excludeKinds: [] })).toHaveLength(4);
        expect(await kinds({ startMs: T0 + 10, endMs: T0 + 30 })).toEqual(["pull_repo@20", "pull_repo@10"]);
        expect(await kinds({ startMs: T0 + 31, endMs: T0 + 40 })).toEqual([]);
        expect(await kinds({ namespaceId: 7, kinds: ["pull_repo"], startMs: T0 + 5, endMs: T0 + 15 })).toEqual(["pull_repo@10"]);
      });

      test("45 entries page as 20/20/5 with no duplicates or gaps, even with equal timestamps", async () => {
        // Five entries share each millisecond: the cursor must break ties by id.
        for (let i = 0; i < 45; i++) writer.record(entry({ at: T0 + Math.floor(i / 5), metadata: { i } }));
        const seen: number[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await log.page({ ...ALL, namespaceId: 7 }, cursor);
          sizes.push(page.entries.length);
          seen.push(...page.entries.map((e) => e.metadata.i as number));
          cursor = page.next;
        } while (cursor);
        expect(sizes).toEqual([20, 20, 5]);
        expect(seen).toEqual([...Array(45).keys()].reverse());
      });

      test("exactly one full page has no next", async () => {
        for (let i = 0; i < 20; i++) writer.record(entry({ at: T0 + i }));
        expect((await log.page(ALL)).next).toBeUndefined();
        expect((await log.page(ALL, undefined, 19)).next).toBeString();
      });

      test("entries written between pages do not shift later pages", async () => {
        for (let i = 0; i < 30; i++) writer.record(entry({ at: T0 + i, metadata: { i } }));
        const first = await log.page(ALL);
        writer.record(entry({ at: T0 + 100, metadata: { i: 100 } }));
        const second = await log.page(ALL, first.next);
        expect(second.entries.map((e) => e.metadata.i)).toEqual([...Array(10).keys()].reverse());
      });

      test.each(["", "garbage", "!!!", Buffer.from("1.x").toString("base64url"), Buffer.from("-1.3").toString("base64url")])(
        "a malformed cursor (%p) means the first page",
        async (cursor) => {
          for (let i = 0; i < 25; i++) writer.record(entry({ at: T0 + i }));
          expect((await log.page(ALL, cursor)).entries[0]!.createdMs).toBe(T0 + 24);
        },
      );
    });

    describe("aggregate", () => {
      test("counts by kind and UTC day, within the filter", async () => {
        const midnight = Date.UTC(2024, 4, 1);
        writer.record(entry({ kind: "pull_repo", at: midnight }));
        writer.record(entry({ kind: "pull_repo", at: midnight + DAY - 1 }));
        writer.record(entry({ kind: "push_repo", at: midnight + 5 }));
        writer.record(entry({ kind: "pull_repo", at: midnight + DAY }));
        writer.record(entry({ kind: "pull_repo", at: midnight + DAY + 1, namespace: { id: 8, name: "other" } }));
        expect(await log.aggregate({ ...ALL, namespaceId: 7 })).toEqual([
          { kind: "pull_repo", count: 2, dayMs: midnight },
          { kind: "push_repo", count: 1, dayMs: midnight },
          { kind: "pull_repo", count: 1, dayMs: midnight + DAY },
        ]);
        expect(await log.aggregate({ ...ALL, kinds: ["push_repo"] })).toEqual([{ kind: "push_repo", count: 1, dayMs: midnight }]);
        expect(await log.aggregate({ startMs: midnight + DAY, endMs: midnight + 2 * DAY })).toEqual([
          { kind: "pull_repo", count: 2, dayMs: midnight + DAY },
        ]);
      });
    });

    describe("coalescing identical pulls", () => {
      test("equal keys in one batch fold into one row with count, built once; aggregate counts them all", async () => {
        const pull = (key: string, over: Partial<AuditRecord> = {}) => writer.recordCoalescing({ key, build: () => entry(over) });
        for (let i = 0; i < 500; i++) pull("a");
        pull("b", { ip: "10.0.0.2" }); // another address: its own row
        pull("c", { metadata: { repo: "app", tag: "v2" } }); // another reference
        writer.record(entry()); // not coalescing: always its own row
        const { entries } = await log.page(ALL, undefined, 50);
        expect(entries).toHaveLength(4);
        const folded = entries.find((e) => e.ip === "10.0.0.1" && (e.metadata as any).count !== undefined)!;
        expect(folded.metadata).toEqual({ count: 500, repo: "app" });
        expect(entries.filter((e) => (e.metadata as any).count === undefined)).toHaveLength(3);
        expect(await log.aggregate(ALL)).toEqual([{ kind: "pull_repo", count: 503, dayMs: Date.UTC(2024, 4, 1) }]);
      });

      test("folding stops at the batch boundary: a later batch starts a new row", async () => {
        const pull = () => writer.recordCoalescing({ key: "same", build: () => entry() });
        pull();
        pull();
        await writer.flush();
        pull();
        await writer.flush();
        const counts = (await log.page(ALL)).entries.map((e) => (e.metadata as any).count ?? 1).sort();
        expect(counts).toEqual([1, 2]);
      });
    });

    describe("the SQL that differs between the dialects", () => {
      test("aggregate reads a folded row's count from its JSON, past 2^31 too, and answers numbers", async () => {
        const big = 3_000_000_000;
        await log.insert([
          { ...auditRow(entry()), count: big },
          { ...auditRow(entry({ metadata: {} })), count: 2 },
          auditRow(entry({ metadata: { repo: "app", tag: "v1" } })),
          auditRow(entry({ kind: "push_repo" })),
        ]);
        const counts = await log.aggregate(ALL);
        expect(counts).toEqual([
          { kind: "pull_repo", count: big + 2 + 1, dayMs: Date.UTC(2024, 4, 1) },
          { kind: "push_repo", count: 1, dayMs: Date.UTC(2024, 4, 1) },
        ]);
        expect(counts.every((c) => typeof c.count === "number" && typeof c.dayMs === "number")).toBe(true);
        expect((await log.page(ALL)).entries.map((e) => e.metadata)).toContainEqual({ count: 2 });
      });

      test("day buckets are UTC days: the last millisecond of a day and the first of the next part", async () => {
        const day = Date.UTC(2031, 0, 1); // past 2^31 seconds, well past 2^31 ms
        for (const at of [day - 1, day, day + DAY - 1, day + DAY]) writer.record(entry({ at }));
        expect(await log.aggregate(ALL)).toEqual([
          { kind: "pull_repo", count: 1, dayMs: day - DAY },
          { kind: "pull_repo", count: 2, dayMs: day },
          { kind: "pull_repo", count: 1, dayMs: day + DAY },
        ]);
      });

      test("a batch larger than one PostgreSQL statement takes goes in whole", async () => {
        const rows = [...Array(2500).keys()].map((i) => auditRow(entry({ at: T0 + i })));
        await log.insert(rows);
        expect(await rowCount(runner)).toBe(2500);
        expect((await log.page(ALL, undefined, 1)).entries[0]!.createdMs).toBe(T0 + 2499);
      });

      test("a batch the database refuses is written not at all, whichever statement failed", async () => {
        const rows = [...Array(1500).keys()].map((i) => auditRow(entry({ at: T0 + i })));
        rows[1200] = { ...rows[1200]!, kind: null as unknown as string }; // NOT NULL: refused
        await expect(log.insert(rows)).rejects.toThrow();
        expect(await rowCount(runner)).toBe(0);
        await log.insert(rows.filter((r) => r.kind !== null));
        expect(await rowCount(runner)).toBe(1499);
      });
    });
  });
});
