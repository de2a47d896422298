// The read cache with a loader that answers a promise (PostgreSQL's reads): concurrent misses of
// one key share one load, and what a load answers after a write cleared the cache is handed to its
// callers but not remembered. A loader that answers at once (SQLite) is answered at once.
import { expect, test } from "bun:test";
import { InProcessReadCache } from "../../../src/store/meta/readCache";

/** A loader whose answers the test releases; counts its calls. */
function slowLoader() {
  const pending: ((v: string) => void)[] = [];
  let calls = 0;
  return {
    load: () => {
      calls++;
      return new Promise<string>((resolve) => pending.push(resolve));
    },
    release: (value: string) => pending.shift()!(value),
    get calls() {
      return calls;
    },
  };
}

test("a hit and a synchronous loader answer at once, no promise", () => {
  const cache = new InProcessReadCache();
  expect(cache.get("k", () => "loaded")).toBe("loaded");
  expect(cache.get("k", () => "again")).toBe("loaded");
  expect(cache.get("missing", () => undefined)).toBeUndefined();
  expect(cache.get("missing", () => "now there")).toBeUndefined(); // "nothing there" is remembered too
});

test("concurrent misses share one load; the answer is remembered and then answered at once", async () => {
  const cache = new InProcessReadCache();
  const loader = slowLoader();
  const first = cache.get("k", loader.load);
  const second = cache.get("k", loader.load);
  expect(loader.calls).toBe(1);
  loader.release("v1");
  expect(await first).toBe("v1");
  expect(await second).toBe("v1");
  expect(cache.get("k", loader.load)).toBe("v1");
});

test("a load that settles after a clear is answered but not remembered; a miss after the clear loads afresh", async () => {
  const cache = new InProcessReadCache();
  const loader = slowLoader();
  const before = cache.get("k", loader.load);
  cache.clear(); // a write committed while the read was under way
  const after = cache.get("k", loader.load);
  expect(loader.calls).toBe(2);
  loader.release("old");
  loader.release("new");
  expect(await before).toBe("old");
  expect(await after).toBe("new");
  expect(cache.get("k", () => "unused")).toBe("new");
});

test("a failed load is not remembered: the next miss loads again", async () => {
  const cache = new InProcessReadCache();
  await expect(Promise.resolve(cache.get("k", () => Promise.reject(new Error("down"))))).rejects.toThrow("down");
  expect(await cache.get("k", async () => "up")).toBe("up");
});

test("keep refuses to remember a loaded answer", async () => {
  const cache = new InProcessReadCache();
  expect(await cache.get("k", async () => "short-lived", () => false)).toBe("short-lived");
  expect(await cache.get("k", async () => "fresh")).toBe("fresh");
});
