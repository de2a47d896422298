// GET /v1/search and /v1/_ping: the registry search API `docker search <host>/<term>` calls, in
// the JSON the Docker CLI reads, listing only what the caller may read.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUsers, resetLoginThrottles, startTestServer, type TestServer } from "../support/server";
import { basicAuth, registryToken } from "../support/registryClient";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;
let server: TestServer;
let open: TestServer;
const tag = crypto.randomUUID().slice(0, 6);
// The search term: every repository below holds it in its name or description.
const TERM = `web${tag}`;
const PUBLIC = `alice/${TERM}-public`;
const PRIVATE = `alice/${TERM}-private`;
const DESCRIBED = `alice/frontend-${tag}`;
const BOBS = `bob/${TERM}-bob`;

interface SearchResult {
  name: string;
  description: string;
  is_public: boolean;
  is_official: boolean;
  is_automated: boolean;
  star_count: number;
}
interface SearchAnswer {
  query: string;
  num_results: number;
  num_pages: number;
  page: number;
  page_size: number;
  results: SearchResult[];
}

beforeAll(async () => {
  server = await startTestServer({ auth: "token" });
  const stores = server.server.ctx.stores;
  const users = await createUsers(stores, PASSWORDS);
  const pub = (await stores.repositories.ensure(PUBLIC, "public"));
  await stores.repositories.setDescription(pub.id, "The public web frontend");
  await stores.repositories.ensure(PRIVATE, "private");
  const described = (await stores.repositories.ensure(DESCRIBED, "private"));
  await stores.repositories.setDescription(described.id, `Builds of ${TERM.toUpperCase()} for staging`);
  await stores.repositories.ensure(BOBS, "private");
  await stores.repositories.ensure(`alice/unrelated-${tag}`, "public");
  // Each user reads their own namespace's repositories; two stars on the public one.
  await stores.stars.star(users.bob.id, pub.id);
  await stores.stars.star(users.alice.id, pub.id);
  open = await startTestServer();
  await open.server.ctx.stores.repositories.ensure(PRIVATE, "private");
});
afterAll(async () => {
  await server?.stop();
  await open?.stop();
});

async function search(base: string, query: string, authorization?: string): Promise<{ status: number; body: SearchAnswer }> {
  const res = await fetch(`${base}/v1/search?${query}`, { headers: authorization ? { Authorization: authorization } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const names = (a: SearchAnswer) => a.results.map((r) => r.name);
const ALICE = basicAuth("alice", PASSWORDS.alice);
const BOB = basicAuth("bob", PASSWORDS.bob);

describe("GET /v1/search", () => {
  test("anonymous: public repositories only, in the shape the Docker CLI reads", async () => {
    const { status, body } = await search(server.url, `q=${TERM}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      query: TERM,
      num_results: 1,
      num_pages: 1,
      page: 1,
      page_size: 25,
      results: [{ name: PUBLIC, description: "The public web frontend", is_public: true, is_official: false, is_automated: false, star_count: 2 }],
    });
  });

  test("Basic credentials (what `docker login` makes the daemon send) add what that account may read", async () => {
    const alice = await search(server.url, `q=${TERM}`, ALICE);
    expect(alice.status).toBe(200);
    // The description matches too, case-insensitively.
    expect(names(alice.body)).toEqual([DESCRIBED, PRIVATE, PUBLIC]);
    expect(alice.body.results.find((r) => r.name === PRIVATE)).toMatchObject({ is_public: false, description: "", star_count: 0 });
    const bob = await search(server.url, `q=${TERM}`, BOB);
    expect(names(bob.body)).toEqual([PUBLIC, BOBS]);
  });

  test("a registry token counts as its account; an anonymous one sees public repositories", async () => {
    const token = await registryToken(server.url, ["alice", PASSWORDS.alice], `repository:${PUBLIC}:pull`);
    expect(names((await search(server.url, `q=${TERM}`, `Bearer ${token}`)).body)).toEqual([DESCRIBED, PRIVATE, PUBLIC]);
    const anonymous = await registryToken(server.url, undefined, `repository:${PUBLIC}:pull`);
    expect(names((await search(server.url, `q=${TERM}`, `Bearer ${anonymous}`)).body)).toEqual([PUBLIC]);
  });

  test("wrong credentials and bad tokens are 401, not an anonymous search", async () => {
    expect((await search(server.url, `q=${TERM}`, basicAuth("alice", "wrong"))).status).toBe(401);
    expect((await search(server.url, `q=${TERM}`, "Bearer not.a.token")).status).toBe(401);
    await resetLoginThrottles(server);
  });

  test("n is bounded (1–100, 25 when not a number) and page walks the results", async () => {
    expect((await search(server.url, `q=${TERM}&n=100000`, ALICE)).body.page_size).toBe(100);
    expect((await search(server.url, `q=${TERM}&n=0`, ALICE)).body.page_size).toBe(1);
    expect((await search(server.url, `q=${TERM}&n=-5`, ALICE)).body.page_size).toBe(1);
    expect((await search(server.url, `q=${TERM}&n=ten`, ALICE)).body.page_size).toBe(25);
    const pages: string[][] = [];
    for (const page of [1, 2, 3]) {
      const { body } = await search(server.url, `q=${TERM}&n=1&page=${page}`, ALICE);
      expect(body.page).toBe(page);
      expect(body.num_pages).toBe(page < 3 ? page + 1 : page);
      pages.push(names(body));
    }
    expect(pages).toEqual([[DESCRIBED], [PRIVATE], [PUBLIC]]);
    expect((await search(server.url, `q=${TERM}&n=1&page=4`, ALICE)).body.results).toEqual([]);
    expect((await search(server.url, `q=${TERM}&page=0`, ALICE)).body.page).toBe(1);
  });

  test("an empty term finds nothing, LIKE wildcards are literal, an overlong term is refused", async () => {
    expect((await search(server.url, "q=", ALICE)).body.results).toEqual([]);
    expect((await search(server.url, "", ALICE)).body.results).toEqual([]);
    expect((await search(server.url, "q=%25", ALICE)).body.results).toEqual([]);
    expect((await search(server.url, `q=${TERM.slice(0, 3)}_${TERM.slice(4)}`, ALICE)).body.results).toEqual([]);
    const long = await search(server.url, `q=${"a".repeat(256)}`);
    expect(long.status).toBe(400);
  });

  test("--auth none: everyone may pull everything, so everything is found", async () => {
    expect(names((await search(open.url, `q=${TERM}`)).body)).toEqual([PRIVATE]);
  });
});

test("GET /v1/_ping answers as a standalone registry", async () => {
  const res = await fetch(`${server.url}/v1/_ping`);
  expect(res.status).toBe(200);
  expect(res.headers.get("x-docker-registry-standalone")).toBe("true");
  expect(await res.json()).toBe(true);
});
