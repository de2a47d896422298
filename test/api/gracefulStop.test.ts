// The server's stop(graceMs) in process (what SIGTERM calls; test/e2e/gracefulStop.test.ts does it
// to the binary): no new connections from the first moment; a request that finishes within the
// grace time is answered; one that does not has its connection closed and its upload keeps what
// arrived; a lifecycle pass in progress finishes and queued audit entries are written before
// the database closes.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { SingleNodeLifecycleScheduler } from "../../src/registry/lifecycle/scheduler";
import { createLogger } from "../../src/log";
import { startTestServer, tempDir, type TestServer } from "../support/server";
import { parseExposition } from "../support/metricsScrape";
import { dropApiDatabase } from "../support/apiDatabase";
import { dropApiS3Prefix } from "../support/s3";
import { locationOf, MiB } from "../support/e2eHelpers";
import { openStoresLike, storedRows } from "../support/serverBackends";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
    await dropApiDatabase(d);
    await dropApiS3Prefix(d);
  }
});

/** A body that sends `chunks` MiB, one every `everyMs` (forever when chunks is Infinity). */
function drip(chunks: number, everyMs: number, onSent?: (n: number) => void): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (sent > 0) await Bun.sleep(everyMs);
        if (sent >= chunks * MiB) return c.close();
        sent += MiB;
        c.enqueue(new Uint8Array(MiB).fill(7));
        onSent?.(sent);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Until an upload request is being received (the server's own gauge): the request reached it.
 *  The bytes stored are no sign on every backend (S3 keeps a request's first 8 MiB in memory until
 *  it ends), and a kept-alive connection whose next request has not arrived yet counts as idle
 *  (stopping closes it). */
async function arrived(server: TestServer): Promise<void> {
  const inFlight = async () => parseExposition(await (await server.server.ctx.metrics.scrape()).text()).get("berth_uploads_in_flight") ?? 0;
  while ((await inFlight()) === 0) await Bun.sleep(5);
}

async function refused(url: string): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port: Number(new URL(url).port), socket: { data() {} } });
    s.end();
    return false;
  } catch (e: any) {
    return e?.code === "ECONNREFUSED";
  }
}

test("a request that finishes within the grace time is answered; new connections are refused from the start", async () => {
  const s = await startTestServer();
  const post = await fetch(`${s.url}/v2/stop/a/blobs/uploads/`, { method: "POST" });
  const patch = fetch(locationOf(s.url, post), { method: "PATCH", body: drip(4, 100), duplex: "half" } as RequestInit);
  await arrived(s);
  const stopping = s.server.stop(5000);
  expect(await refused(s.url)).toBe(true);
  const res = await patch;
  expect(res.status).toBe(202);
  expect(res.headers.get("range")).toBe(`0-${4 * MiB - 1}`);
  expect(res.headers.get("connection")).toBe("close");
  expect(await stopping).toEqual({ cutOff: 0 });
  rmSync(s.dataDir, { recursive: true, force: true });
});

test("past the grace time: the upload is cut off and keeps what arrived; the lifecycle pass and the audit log finish before the database closes", async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const s = await startTestServer({}, { dataDir });
  const ctx = s.server.ctx;
  // A pass that takes a while and writes at its end.
  let passDone = false;
  ctx.lifecycle = new SingleNodeLifecycleScheduler(
    [
      {
        name: "slow",
        run: async () => {
          await Bun.sleep(300);
          ctx.stores.auditWriter.record({ kind: "lifecycle_test_pass", metadata: {} });
          passDone = true;
          return "done";
        },
      },
    ],
    0,
    createLogger({ requests: false, write: () => {} }),
  );
  const post = await fetch(`${s.url}/v2/stop/b/blobs/uploads/`, { method: "POST" });
  const id = post.headers.get("docker-upload-uuid")!;
  let sent = 0;
  let twoSent!: () => void;
  const going = new Promise<void>((r) => (twoSent = r));
  const patch = fetch(locationOf(s.url, post), {
    method: "PATCH",
    body: drip(Infinity, 50, (n) => {
      sent = n;
      if (n >= 2 * MiB) twoSent();
    }),
    duplex: "half",
  } as RequestInit).then(
    (r) => r.status,
    (e) => e?.code,
  );
  await going;
  await arrived(s);
  void ctx.lifecycle.runOnce();
  const report = await s.server.stop(200);
  expect(report.cutOff).toBe(1);
  expect(passDone).toBe(true);
  expect(await patch).toBe("ECONNRESET");

  expect(await storedRows(ctx.config, "SELECT count(*) AS n FROM log_entries WHERE kind = 'lifecycle_test_pass'")).toEqual([{ n: 1 }]);
  const stores = await openStoresLike(ctx.config);
  try {
    const repo = (await stores.repositories.find("stop/b"))!;
    const offset = await stores.uploads.offset(repo.id, id);
    expect(offset).toBeGreaterThanOrEqual(2 * MiB);
    expect(offset).toBeLessThanOrEqual(sent);
  } finally {
    await stores.close();
  }
});
