// Pulls of cached tags are written in batches: a thousand pulls of two tags are one write of two
// rows and one transaction renewing two expiries, each at its latest pull; a pull whose check
// failed counts but renews nothing.
import { expect, test } from "bun:test";
import { createLogger } from "../../../src/log";
import { RecentPulls } from "../../../src/proxy/recentPulls";
import type { Registry } from "../../../src/registry/registry";
import type { Stores } from "../../../src/store";

function fakes() {
  const written: { repoId: number; name: string; ms: number }[][] = [];
  const renewed: { tag: string; expiresMs: number }[][] = [];
  const stores = { proxyCacheTags: { recordPulls: (p: { repoId: number; name: string; ms: number }[]) => written.push(p) } } as unknown as Pick<Stores, "proxyCacheTags">;
  const registry = {
    renewTagExpiries: async (input: { renewals: { tag: string; expiresMs: number }[] }) => {
      renewed.push(input.renewals.map((r) => ({ tag: r.tag, expiresMs: r.expiresMs })));
      return { kind: "ok" };
    },
  } as unknown as Registry;
  const pulls = new RecentPulls({ stores, registry, actor: { proxyCache: true }, log: createLogger({ requests: false, write: () => {} }) });
  return { pulls, written, renewed };
}

test("a thousand pulls of two tags: nothing written until the flush, then one batch with each tag's latest pull", async () => {
  const { pulls, written, renewed } = fakes();
  for (let i = 0; i < 1000; i++) pulls.record({ repoId: 1, repoName: "cache/app", tag: i % 2 ? "a" : "b", ms: i, expiresMs: i + 60_000 });
  expect(written).toEqual([]);
  await pulls.flush();
  expect(written).toEqual([[{ repoId: 1, name: "b", ms: 998 }, { repoId: 1, name: "a", ms: 999 }]]);
  expect(renewed).toEqual([[{ tag: "b", expiresMs: 60_998 }, { tag: "a", expiresMs: 60_999 }]]);
  await pulls.flush();
  expect(written).toHaveLength(1);
});

test("a pull served after a failed check counts but renews nothing; an earlier renewal in the batch stands", async () => {
  const { pulls, written, renewed } = fakes();
  pulls.record({ repoId: 1, repoName: "cache/app", tag: "a", ms: 10, expiresMs: 60_010 });
  pulls.record({ repoId: 1, repoName: "cache/app", tag: "a", ms: 20 });
  pulls.record({ repoId: 2, repoName: "cache/other", tag: "x", ms: 30 });
  await pulls.flush();
  expect(written).toEqual([[{ repoId: 1, name: "a", ms: 20 }, { repoId: 2, name: "x", ms: 30 }]]);
  expect(renewed).toEqual([[{ tag: "a", expiresMs: 60_010 }]]);
});
