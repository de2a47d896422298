// SIGTERM against the compiled binary in the middle of a large streamed upload and 32 concurrent
// pulls. The server stops accepting at once, lets the pulls finish (they do, byte for byte),
// closes what is still running when the grace time (BERTH_STOP_GRACE_SECONDS) ends, and exits 0.
// The upload it cut off kept every byte that arrived: after a restart its session reports that
// offset, the rest goes on from there, and the blob completes with the right digest.
// The upload is 1 GiB, as the issue asks (~16 s on the 2-core machine under load 9, 1 GiB of
// disk for the test's life); BERTH_TEST_STOP_UPLOAD_MIB makes it smaller for quick runs. On
// PostgreSQL + S3 it is 256 MiB: the test gateway keeps objects in 2 GiB of memory, and an
// upload's parts and the blob they are copied into take twice its size for a moment.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startBinary, tempDir, type BinaryServer } from "../support/server";
import { onPgS3 } from "../support/e2eBackend";
import { hashBody, locationOf, MiB, rangeEnd, resumedBody, SeededBytes, sha256Of } from "../support/e2eHelpers";

const UPLOAD = Number(process.env.BERTH_TEST_STOP_UPLOAD_MIB ?? (onPgS3 ? 256 : 1024)) * MiB;
const SIGTERM_AT = Math.floor(UPLOAD / 2); // of the upload sent when the signal goes
const PULLS = 32;
const PULL_SIZE = 16 * MiB;
// The 32 pulls take ~1-2 s on a busy 2-core machine; from S3 (the e2e backend mode) over 7 s,
// and the upload's drip (half of 256 MiB at 10 MiB/s) still outlasts 10.
const GRACE_SECONDS = onPgS3 ? 10 : 5;
let signalAt = 0;

const dataDir = tempDir("berth-stop-");
let srv: BinaryServer | undefined;
afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Whether a new TCP connection to the port is refused (a fresh socket: no pooled keep-alive). */
async function refusesConnections(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return false;
  } catch (e: any) {
    return e?.code === "ECONNREFUSED";
  }
}

test(`SIGTERM during a ${UPLOAD / MiB} MiB upload and ${PULLS} pulls: pulls finish, exit 0, the upload resumes after restart`, async () => {
  srv = await startBinary({ dataDir, env: { BERTH_STOP_GRACE_SECONDS: String(GRACE_SECONDS) } });
  const repo = "e2e/stop";
  const base = srv.url;

  const pullBytes = Buffer.concat([...new SeededBytes("stop-pull").chunks(0, PULL_SIZE, MiB)]);
  const pullDigest = sha256Of(pullBytes);
  expect((await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${pullDigest}`, { method: "POST", body: pullBytes })).status).toBe(201);

  // The upload: half at full speed, then a drip (1 MiB every 100 ms) that cannot end within the grace time.
  const gen = new SeededBytes("stop-upload");
  const digest = gen.digest(UPLOAD);
  const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  expect(post.status).toBe(202);
  const uploadPath = new URL(locationOf(base, post)).pathname;
  let sent = 0;
  let reached!: () => void;
  const halfway = new Promise<void>((r) => (reached = r));
  const chunks = gen.chunks(0, UPLOAD, MiB);
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (sent >= SIGTERM_AT) await Bun.sleep(100);
        const next = chunks.next();
        if (next.done) return controller.close();
        sent += next.value.byteLength;
        controller.enqueue(next.value);
        if (sent >= SIGTERM_AT) reached();
      },
    },
    { highWaterMark: 0 },
  );
  const patch = fetch(`${base}${uploadPath}`, { method: "PATCH", body, duplex: "half" } as RequestInit).then(
    async (r) => `answered ${r.status} ${await r.text()}`,
    (e) => `failed: ${e?.code ?? e}`,
  );

  // The pulls: each has its answer and first bytes, then waits for the signal before reading on.
  let go!: () => void;
  const signalled = new Promise<void>((r) => (go = r));
  const started: Promise<void>[] = [];
  const pulls = Array.from({ length: PULLS }, (_, i) => {
    let first!: () => void;
    started.push(new Promise<void>((r) => (first = r)));
    return (async () => {
      const res = await fetch(`${base}/v2/${repo}/blobs/${pullDigest}`, { headers: { "X-Pull": String(i) } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const head = await reader.read();
      first();
      await signalled;
      return hashBody(resumedBody(head.value!, reader)).catch((e) => { throw new Error(`pull ${i} failed ${((performance.now() - signalAt) / 1000).toFixed(2)} s after SIGTERM: ${e}`); });
    })();
  });
  await Promise.all([halfway, ...started]);

  signalAt = performance.now();
  srv.proc.kill("SIGTERM");
  // Stops accepting at once, while the pulls and the upload are still running.
  const deadline = Date.now() + 2000;
  while (!(await refusesConnections(srv.port))) {
    if (Date.now() > deadline) throw new Error(`still accepting after SIGTERM:\n${srv.output()}`);
    await Bun.sleep(10);
  }
  go();
  const pulled = await Promise.all(pulls);
  console.log(`graceful stop: ${PULLS} pulls done ${((performance.now() - signalAt) / 1000).toFixed(2)} s after SIGTERM`);
  for (const p of pulled) expect(p).toEqual({ digest: pullDigest, size: PULL_SIZE });

  const exitCode = await srv.proc.exited;
  const stoppedAfter = (performance.now() - signalAt) / 1000;
  const patchOutcome = await patch;
  console.log(`graceful stop: exit ${exitCode} after ${stoppedAfter.toFixed(1)} s; ${(sent / MiB).toFixed(0)} MiB sent; PATCH ${patchOutcome.slice(0, 60)}`);
  expect(exitCode).toBe(0);
  expect(stoppedAfter).toBeGreaterThanOrEqual(GRACE_SECONDS - 0.2);
  expect(stoppedAfter).toBeLessThan(GRACE_SECONDS + 5);
  expect(srv.output()).toContain("SIGTERM: stopping");
  expect(srv.output()).toContain("stopped (1 request(s) cut off)");
  expect(sent).toBeLessThan(UPLOAD);

  // Restarted: the session holds what arrived, and the rest completes the right blob.
  srv = await startBinary({ dataDir });
  const status = await fetch(`${srv.url}${uploadPath}`);
  expect(status.status).toBe(204);
  const offset = rangeEnd(status);
  expect(offset).toBeGreaterThan(0);
  expect(offset).toBeLessThanOrEqual(sent);
  const resumed = await fetch(`${srv.url}${uploadPath}`, {
    method: "PATCH",
    headers: { "Content-Range": `${offset}-${UPLOAD - 1}` },
    body: gen.stream(offset, UPLOAD - offset),
    duplex: "half",
  } as RequestInit);
  expect(resumed.status).toBe(202);
  expect(rangeEnd(resumed)).toBe(UPLOAD);
  const put = await fetch(`${locationOf(srv.url, resumed)}${locationOf(srv.url, resumed).includes("?") ? "&" : "?"}digest=${digest}`, { method: "PUT" });
  expect(put.status).toBe(201);
  const blob = await fetch(`${srv.url}/v2/${repo}/blobs/${digest}`);
  expect(await hashBody(blob)).toEqual({ digest, size: UPLOAD });
  // The pulled blob is whole too.
  expect(await hashBody(await fetch(`${srv.url}/v2/${repo}/blobs/${pullDigest}`))).toEqual({ digest: pullDigest, size: PULL_SIZE });
});
