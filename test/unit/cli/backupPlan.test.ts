import { describe, expect, test } from "bun:test";
import { consistentSnapshot, formatBytes, inParallel, parseBackupInfo, planBlobs, type SnapshotSteps } from "../../../src/cli/backupPlan";
import { CliError } from "../../../src/cli/accounts";
import type { Placed } from "../../../src/store/backupFiles";
import type { SnapshotBlob } from "../../../src/store/snapshot";

const b = (digest: string, size = 10): SnapshotBlob => ({ digest, size });

describe("planBlobs", () => {
  test.each<[string, SnapshotBlob[], [string, number][], { reuse: string[]; place: string[]; stale: string[] }]>([
    ["an empty backup places everything", [b("a"), b("b")], [], { reuse: [], place: ["a", "b"], stale: [] }],
    ["the same blobs again: all reused", [b("a"), b("b")], [["a", 10], ["b", 10]], { reuse: ["a", "b"], place: [], stale: [] }],
    ["a blob of the wrong size (a copy cut short) is placed again", [b("a")], [["a", 3]], { reuse: [], place: ["a"], stale: [] }],
    ["blobs no longer named are stale", [b("b")], [["a", 10], ["b", 10], ["c", 1]], { reuse: ["b"], place: [], stale: ["a", "c"] }],
    ["an empty registry drops everything", [], [["a", 10]], { reuse: [], place: [], stale: ["a"] }],
  ])("%s", (_, named, present, want) => {
    const plan = planBlobs(named, new Map(present));
    expect({ reuse: plan.reuse.map((x) => x.digest), place: plan.place.map((x) => x.digest), stale: plan.stale }).toEqual(want);
  });
});

/** Snapshots that name `snapshots[i]` in turn; blobs in `gone` are missing from the data directory. */
function steps(snapshots: SnapshotBlob[][], outcome: (digest: string) => Placed): SnapshotSteps & { taken: number; placed: string[] } {
  const s = {
    taken: 0,
    placed: [] as string[],
    snapshot: () => snapshots[Math.min(s.taken++, snapshots.length - 1)]!,
    place: async (blob: SnapshotBlob) => {
      s.placed.push(blob.digest);
      return outcome(blob.digest);
    },
    pause: async () => {},
  };
  return s;
}

describe("consistentSnapshot", () => {
  test("one snapshot when every blob is there; what an earlier backup holds is not placed again", async () => {
    const st = steps([[b("a"), b("b", 5), b("c", 7)]], (d) => (d === "b" ? "copied" : "linked"));
    const out = await consistentSnapshot(new Map([["a", 10]]), st);
    expect(st.placed).toEqual(["b", "c"]);
    expect(out).toMatchObject({ attempts: 1, reused: 1, linked: 1, copied: 1, placedBytes: 12, stale: [] });
  });

  test("a blob collected after the snapshot: the next snapshot, which no longer names it, is the backup", async () => {
    const st = steps([[b("a"), b("gone")], [b("a")]], (d) => (d === "gone" ? "missing" : "linked"));
    const out = await consistentSnapshot(new Map(), st);
    expect(out.attempts).toBe(2);
    expect(out.named.map((x) => x.digest)).toEqual(["a"]);
    // "a" was linked by the first attempt and is not placed again.
    expect(st.placed).toEqual(["a", "gone"]);
    expect(out.linked).toBe(1);
  });

  test("a blob set aside for an instant (the collector re-checking it) is found by the next attempt", async () => {
    let tries = 0;
    const st = steps([[b("a")]], () => (++tries === 1 ? "missing" : "linked"));
    expect((await consistentSnapshot(new Map(), st)).attempts).toBe(2);
  });

  test("a blob that stays missing fails the backup after the last attempt", async () => {
    const st = steps([[b("a")]], () => "missing");
    const err = await consistentSnapshot(new Map(), st, 3).catch((e) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err.message).toContain("1 blob(s) the database names kept vanishing");
    expect(st.taken).toBe(3);
  });

  test("a blob whose bytes do not match its digest fails the backup at once", async () => {
    const st = steps([[b("sha256:aa")]], () => ({ damaged: "sha256:bb" }));
    await expect(consistentSnapshot(new Map(), st)).rejects.toThrow("does not hash to its digest (it hashes to sha256:bb): run `berth fsck`");
  });
});

describe("parseBackupInfo", () => {
  test.each<[string, string | undefined, RegExp | undefined]>([
    ["a finished backup", JSON.stringify({ format: 1, berth: "0.1.0", createdAt: "x", source: "/d", blobs: 1, bytes: 2 }), undefined],
    ["no backup.json", undefined, /holds no finished backup/],
    ["not JSON", "{", /is not JSON/],
    ["another format", JSON.stringify({ format: 2 }), /backup format 2 is not one this Berth restores/],
    ["JSON null", "null", /backup format undefined/],
  ])("%s", (_, text, error) => {
    if (error) expect(() => parseBackupInfo(text, "/b")).toThrow(error);
    else expect(parseBackupInfo(text, "/b").format).toBe(1);
  });
});

describe("inParallel", () => {
  test("runs every item, never more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await inParallel([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++running);
      await Bun.sleep(n % 3);
      done.push(n);
      running--;
    });
    expect(most).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  test("the first failure is thrown after those in flight settle; no new item starts", async () => {
    const started: number[] = [];
    const err = await inParallel([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 2) throw new Error("two");
      await Bun.sleep(1);
    }).catch((e) => e);
    expect(err.message).toBe("two");
    expect(started.length).toBeLessThan(5);
  });
});

describe("formatBytes", () => {
  test.each<[number, string]>([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 * 1024, "5.0 MiB"],
    [3 * 2 ** 40, "3.0 TiB"],
    [2 ** 52, "4096.0 TiB"],
  ])("%p → %p", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
