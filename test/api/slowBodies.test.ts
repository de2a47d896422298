// Slow bodies (security review, issue 8 item 7): 10,000 upload sessions, each PATCHed a byte at a
// time, held every file descriptor. Now open sessions are capped per account (per client address
// with --auth none) at maxOpenUploadsPerAccount (429 TOOMANYREQUESTS); an upload body that sends
// nothing for bodyStallSeconds is cut off, the session keeping (durably) what arrived; and a
// request whose body nobody reads gets its connection closed rather than kept waiting.
// test/e2e/slowBodyFlood.test.ts shows health checks and pulls answering through a flood.
import { beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { startTestServer, type TestServer } from "../support/server";
import { BearerRegistryClient, digestOf, expectError, randomBytes, registryToken } from "../support/registryClient";
import { openRaw } from "../support/rawConnection";
import { worldForFile } from "../support/world";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", carol: "carol-Secret-1", dave: "dave-Secret-1" } as const;
type User = keyof typeof PASSWORDS;
const CAP = 3;

const world = worldForFile({
  config: { auth: "token", maxOpenUploadsPerAccount: String(CAP), bodyStallSeconds: "1" },
  users: PASSWORDS,
  resetThrottlesAfterEach: false,
});
let server: TestServer;
beforeAll(() => (server = world.server));

/** A registry client holding `user`'s push token for `<user>/app`. */
async function pusher(user: User): Promise<BearerRegistryClient & { pushToken: string }> {
  const token = await registryToken(server.url, [user, PASSWORDS[user]], `repository:${user}/app:pull,push`);
  return Object.assign(new BearerRegistryClient(server.url, token), { pushToken: token });
}

/** POST a new session: its Location on 202, else the failing response. */
async function openSession(c: BearerRegistryClient, repo: string): Promise<string | Response> {
  const res = await c.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST" });
  if (res.status !== 202) return res;
  await res.arrayBuffer();
  return res.headers.get("location")!;
}

async function expectOpened(c: BearerRegistryClient, repo: string): Promise<string> {
  const opened = await openSession(c, repo);
  if (typeof opened !== "string") throw new Error(`expected 202, got ${opened.status} ${await opened.text()}`);
  return opened;
}

async function expectTooMany(c: BearerRegistryClient, repo: string): Promise<void> {
  const opened = await openSession(c, repo);
  expect(typeof opened).not.toBe("string");
  const [err] = await expectError(opened as Response, 429, "TOOMANYREQUESTS");
  expect(err!.detail).toEqual({ limit: CAP });
}

describe("open upload sessions are capped per account", () => {
  test(`an account holds at most ${CAP}; the next POST (session or monolithic) is 429; other accounts are unaffected`, async () => {
    const alice = await pusher("alice");
    for (let i = 0; i < CAP; i++) await expectOpened(alice, "alice/app");
    await expectTooMany(alice, "alice/app");
    const bytes = randomBytes(10);
    const mono = await alice.fetch(`/v2/alice/app/blobs/uploads/?digest=${digestOf(bytes)}`, { method: "POST", body: bytes });
    await expectError(mono, 429, "TOOMANYREQUESTS");
    const bob = await pusher("bob");
    await expectOpened(bob, "bob/app");
  });

  test("finishing or cancelling a session frees its slot; expired sessions do not count", async () => {
    const carol = await pusher("carol");
    const sessions = [];
    for (let i = 0; i < CAP; i++) sessions.push(await expectOpened(carol, "carol/app"));
    await expectTooMany(carol, "carol/app");

    expect((await carol.fetch(sessions.pop()!, { method: "DELETE" })).status).toBe(204);
    const replaced = await expectOpened(carol, "carol/app");
    await expectTooMany(carol, "carol/app");

    const bytes = randomBytes(100);
    const put = await carol.fetch(`${replaced}?digest=${digestOf(bytes)}`, { method: "PUT", body: bytes });
    expect(put.status).toBe(201);
    await expectOpened(carol, "carol/app");
    await expectTooMany(carol, "carol/app");

    // A day and an hour later the idle sessions have expired (uploadTtlSeconds): they no longer count.
    setSystemTime(new Date(Date.now() + 25 * 3600_000));
    try {
      const later = await pusher("carol");
      for (let i = 0; i < CAP; i++) await expectOpened(later, "carol/app");
      await expectTooMany(later, "carol/app");
    } finally {
      setSystemTime();
    }
  });

  test("with --auth none the cap is per client address", async () => {
    const open = await startTestServer({ maxOpenUploadsPerAccount: "2" });
    try {
      const post = async (localAddress: string) => {
        const conn = await openRaw(open.url, ["POST /v2/anon/app/blobs/uploads/ HTTP/1.1", "Content-Length: 0"], { localAddress });
        const res = await conn.response();
        conn.end();
        return res.status;
      };
      expect([await post("127.0.0.1"), await post("127.0.0.1"), await post("127.0.0.1")]).toEqual([202, 202, 429]);
      expect(await post("127.0.0.2")).toBe(202);
    } finally {
      await open.stop();
    }
  });
});

describe("an upload body that stalls is cut off; the session resumes", () => {
  test("no bytes for bodyStallSeconds: 400, connection closed, the bytes kept on disk; the client resumes", async () => {
    const dave = await pusher("dave");
    const location = await expectOpened(dave, "dave/app");
    const bytes = randomBytes(1000);
    const conn = await openRaw(server.url, [
      `PATCH ${location} HTTP/1.1`,
      `Authorization: Bearer ${dave.pushToken}`,
      "Content-Type: application/octet-stream",
      "Content-Length: 1000",
    ]);
    conn.write(bytes.subarray(0, 300));

    // Meanwhile a second PATCH on the same session is refused at once and not kept waiting
    // for its body either.
    const second = await openRaw(server.url, [`PATCH ${location} HTTP/1.1`, `Authorization: Bearer ${dave.pushToken}`, "Content-Length: 1000"]);
    second.write("x");
    expect((await second.response(1000)).status).toBe(409);
    await second.closed(1000);

    const started = performance.now();
    const res = await conn.response(4000);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors[0]).toMatchObject({ code: "BLOB_UPLOAD_INVALID", detail: { offset: 300 } });
    expect(res.headers.get("range")).toBe("0-299");
    expect(res.headers.get("connection")).toBe("close");
    await conn.closed(1000);

    // The session says where it stands, and its stored upload (a file, or objects in the bucket) holds exactly those bytes.
    const status = await dave.fetch(location);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-299");
    const uuid = location.split("/").pop()!;
    expect(await server.server.ctx.stores.blobs.uploadSize(uuid)).toBe(300);

    const rest = await dave.fetch(location, {
      method: "PATCH",
      headers: { "Content-Type": "application/octet-stream", "Content-Range": "300-999" },
      body: bytes.subarray(300),
    });
    expect(rest.status).toBe(202);
    const done = await dave.fetch(`${location}?digest=${digestOf(bytes)}`, { method: "PUT" });
    expect(done.status).toBe(201);
    const blob = await dave.fetch(`/v2/dave/app/blobs/${digestOf(bytes)}`);
    expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  test("a body nobody reads (unknown session) is answered and its connection closed", async () => {
    const dave = await pusher("dave");
    const conn = await openRaw(server.url, [
      "PATCH /v2/dave/app/blobs/uploads/0b4a9c52-0000-4000-8000-000000000000 HTTP/1.1",
      `Authorization: Bearer ${dave.pushToken}`,
      "Content-Length: 100000",
    ]);
    conn.write("x");
    const res = await conn.response(1000);
    expect(res.status).toBe(404);
    expect(res.headers.get("connection")).toBe("close");
    await conn.closed(1000);
  });
});
