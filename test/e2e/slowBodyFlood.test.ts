// A slow-body flood against the compiled binary (security review, issue 8 item 7). The review
// opened 10,000 upload sessions and PATCHed each a byte at a time: every one of the process's
// 20,000 descriptors was held and /health/instance went silent for 75 s. Here the binary gets 256
// descriptors (prlimit) and one client tries 400 sessions, each PATCHed with a body that drips a
// byte every 300 ms, plus a dripping PATCH for every refused session. The per-client cap
// (maxOpenUploadsPerAccount, per address with --auth none) keeps the held connections at 32, the
// refused PATCHes are closed at once, and health checks and pulls keep answering throughout.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { startBinary, type BinaryServer } from "../support/server";
import { run } from "../support/e2eHelpers";
import { openRaw, type RawConnection } from "../support/rawConnection";
import { RegistryClient, type Image } from "../support/registryClient";

const FD_LIMIT = 256;
const CAP = 32;
const ATTEMPTS = 400;

let srv: BinaryServer;
let image: Image;

beforeAll(async () => {
  srv = await startBinary({ env: { BERTH_MAX_OPEN_UPLOADS_PER_ACCOUNT: String(CAP), BERTH_BODY_STALL_SECONDS: "60" } });
  await run(["prlimit", "--pid", String(srv.pid), `--nofile=${FD_LIMIT}:${FD_LIMIT}`]);
  image = await new RegistryClient(srv.url).pushImage("flood/base", "v1", { layers: 2, layerSize: 200_000 });
});

afterAll(async () => {
  await srv?.stop();
  if (srv) rmSync(srv.dataDir, { recursive: true, force: true });
});

const openDescriptors = () => readdirSync(`/proc/${srv.pid}/fd`).length;

/** GET with a deadline: the status, or "timeout" when the server did not answer in time. */
async function answered(path: string, check?: (body: Uint8Array) => void): Promise<number | "timeout"> {
  try {
    const res = await fetch(`${srv.url}${path}`, { signal: AbortSignal.timeout(2000) });
    const body = new Uint8Array(await res.arrayBuffer());
    check?.(body);
    return res.status;
  } catch {
    return "timeout";
  }
}

test(`${ATTEMPTS} dripping uploads against ${FD_LIMIT} descriptors: ${CAP} held, the rest refused, health and pulls answer`, async () => {
  const idle = openDescriptors();
  const drips: RawConnection[] = [];
  const statuses = { opened: 0, refused: 0 };
  let firstSession: string | undefined;
  const dripper = setInterval(() => {
    for (const c of drips) c.write("x");
  }, 300);
  try {
    for (let i = 0; i < ATTEMPTS; i++) {
      const post = await fetch(`${srv.url}/v2/flood/app/blobs/uploads/`, { method: "POST", signal: AbortSignal.timeout(2000) });
      await post.arrayBuffer();
      // Opened: drip into the new session. Refused: drip into the first one anyway (busy).
      const location = post.status === 202 ? post.headers.get("location")! : firstSession;
      if (post.status === 202) statuses.opened++;
      else if (post.status === 429) statuses.refused++;
      firstSession ??= location;
      const conn = await openRaw(srv.url, [`PATCH ${location} HTTP/1.1`, "Content-Type: application/octet-stream", "Content-Length: 1000000"]);
      conn.write("x");
      drips.push(conn);
    }
    // While the flood lasts: health checks and pulls answer, again and again.
    const pullBlob = `/v2/flood/base/blobs/${image.layers[0]!.digest}`;
    for (let round = 0; round < 5; round++) {
      expect(await answered("/health/instance")).toBe(200);
      expect(await answered(`/v2/flood/base/manifests/v1`)).toBe(200);
      expect(await answered(pullBlob, (b) => expect(b.byteLength).toBe(200_000))).toBe(200);
      await Bun.sleep(200);
    }
    expect(statuses).toEqual({ opened: CAP, refused: ATTEMPTS - CAP });
    // The refused PATCHes were closed; the capped ones are all that is held.
    expect(drips.filter((c) => !c.isClosed()).length).toBe(CAP);
    const held = openDescriptors();
    console.log(`flood: ${statuses.opened} sessions held, ${statuses.refused} refused; descriptors ${idle} idle, ${held} in the flood (limit ${FD_LIMIT})`);
    expect(held).toBeLessThan(idle + 3 * CAP);
  } finally {
    clearInterval(dripper);
    for (const c of drips) c.end();
  }
});
