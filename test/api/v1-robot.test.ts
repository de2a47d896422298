// API v1 robot accounts in process (reference quay-api.md §2.4): the caller's robots and an
// organization's, their tokens, regeneration and deletion, and who may see what.
import { beforeAll, describe, expect, test } from "bun:test";
import { registryAuthStatus } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { rita: "rita-Secret-1", sam: "sam-Secret-1" } as const;

const world = worldForFile({ config: { auth: "token" }, users: PASSWORDS });
let server: TestServer;
beforeAll(() => ({ server } = world));

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const uniq = () => crypto.randomUUID().slice(0, 8);
/** Status of GET /v2/auth for the robot's credentials (a pull on its owner's namespace). */
async function v2AuthStatus(robot: string, token: string): Promise<number> {
  const owner = robot.slice(0, robot.indexOf("+"));
  return registryAuthStatus(server.url, [robot, token], `repository:${owner}/x:pull`);
}

async function expectRobotMissing(res: Response): Promise<void> {
  expect(await expectJson(res, 400)).toEqual({ message: "Could not find robot with specified username" });
}

describe("/api/v1/user/robots", () => {
  test("create, get, list, regenerate, delete", async () => {
    const rita = await as("rita");
    const short = `bot${uniq()}`;
    const made = await expectJson(await rita.put(`/api/v1/user/robots/${short}`, { description: "builds" }), 201);
    expect({ ...made }).toEqual({
      name: `rita+${short}`,
      description: "builds",
      token: expect.stringMatching(/^[A-Z0-9]{64}$/),
      created: expect.stringMatching(/-0000$/),
      last_accessed: null,
      unstructured_metadata: {},
    });
    expect(await v2AuthStatus(made.name, made.token)).toBe(200);

    const got = await expectJson(await rita.get(`/api/v1/user/robots/${short}`), 200);
    expect(got).toEqual(made);
    const list = await expectJson(await rita.get("/api/v1/user/robots"), 200);
    expect(list.robots).toContainEqual({ name: made.name, description: "builds", token: made.token, created: made.created, last_accessed: null });
    const noTokens = await expectJson(await rita.get("/api/v1/user/robots?token=false"), 200);
    expect(noTokens.robots[0].token).toBeUndefined();

    const renewed = await expectJson(await rita.post(`/api/v1/user/robots/${short}/regenerate`), 200);
    expect(renewed.token).toMatch(/^[A-Z0-9]{64}$/);
    expect(renewed.token).not.toBe(made.token);
    expect(await v2AuthStatus(made.name, made.token)).toBe(401);
    expect(await v2AuthStatus(made.name, renewed.token)).toBe(200);

    expect((await rita.delete(`/api/v1/user/robots/${short}`)).status).toBe(204);
    expect(await v2AuthStatus(made.name, renewed.token)).toBe(401);
    await expectRobotMissing(await rita.get(`/api/v1/user/robots/${short}`));
    await expectRobotMissing(await rita.delete(`/api/v1/user/robots/${short}`));
    await expectRobotMissing(await rita.post(`/api/v1/user/robots/${short}/regenerate`));
  });

  test("an empty body is fine; bad bodies, names and duplicates are 400", async () => {
    const rita = await as("rita");
    const short = `bot${uniq()}`;
    const made = await expectJson(await rita.put(`/api/v1/user/robots/${short}`), 201);
    expect(made.description).toBe("");
    const dup = await expectProblem(await rita.put(`/api/v1/user/robots/${short}`, {}), 400, "invalid_request");
    expect(dup.detail).toBe(`Existing robot with name: rita+${short}`);
    const desc = await expectProblem(await rita.put(`/api/v1/user/robots/other${uniq()}`, { description: 7 }), 400, "invalid_request");
    expect(desc.field).toBe("description");
    const long = await expectProblem(await rita.put(`/api/v1/user/robots/other${uniq()}`, { description: "x".repeat(256) }), 400, "invalid_request");
    expect(long.field).toBe("description");
    const name = await expectProblem(await rita.put(`/api/v1/user/robots/Bad_Name`, {}), 400, "invalid_request");
    expect(name.field).toBe("robot_shortname");
  });

  test("401 anonymous; robots are the caller's own; CSRF on cookie writes", async () => {
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.get("/api/v1/user/robots"), 401, "invalid_token");
    await expectProblem(await anon.put(`/api/v1/user/robots/x${uniq()}`, {}), 401, "invalid_token");
    const rita = await as("rita");
    const short = `bot${uniq()}`;
    await expectJson(await rita.put(`/api/v1/user/robots/${short}`), 201);
    // sam's /user/robots/<short> is sam's namespace: rita's robot is not there.
    await expectRobotMissing(await (await as("sam")).get(`/api/v1/user/robots/${short}`));
    await expectCsrfError(await rita.put(`/api/v1/user/robots/x${uniq()}`, {}, { csrf: false }));
    await expectCsrfError(await rita.post(`/api/v1/user/robots/${short}/regenerate`, undefined, { csrf: false }));
  });
});

describe("/api/v1/organization/<org>/robots", () => {
  test("org admins manage robots; members list without tokens; others are refused", async () => {
    const rita = await as("rita");
    const org = `org-${uniq()}`;
    expect((await rita.post("/api/v1/organization/", { name: org })).status).toBe(201);
    const made = await expectJson(await rita.put(`/api/v1/organization/${org}/robots/ci`, { description: "pipeline" }), 201);
    // A copy: bun's matcher writes the asymmetric matchers into the object it inspects.
    expect({ ...made }).toMatchObject({ name: `${org}+ci`, description: "pipeline", token: expect.stringMatching(/^[A-Z0-9]{64}$/) });
    expect(await v2AuthStatus(made.name, made.token)).toBe(200);
    const list = await expectJson(await rita.get(`/api/v1/organization/${org}/robots`), 200);
    expect(list.robots.map((r: { name: string; token: string }) => [r.name, r.token])).toEqual([[made.name, made.token]]);

    const sam = await as("sam");
    await expectProblem(await sam.get(`/api/v1/organization/${org}/robots`), 403, "insufficient_scope");
    await expectProblem(await sam.put(`/api/v1/organization/${org}/robots/evil`, {}), 403, "insufficient_scope");
    await expectProblem(await sam.post(`/api/v1/organization/${org}/robots/ci/regenerate`), 403, "insufficient_scope");
    await expectProblem(await sam.delete(`/api/v1/organization/${org}/robots/ci`), 403, "insufficient_scope");
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.get(`/api/v1/organization/${org}/robots/ci`), 401, "invalid_token");

    // A plain member lists robots without their tokens, and may not read one.
    await rita.put(`/api/v1/organization/${org}/team/viewers`, { role: "member" });
    await rita.put(`/api/v1/organization/${org}/team/viewers/members/sam`);
    const seen = await expectJson(await sam.get(`/api/v1/organization/${org}/robots`), 200);
    expect(seen.robots).toEqual([{ name: made.name, description: "pipeline", created: made.created, last_accessed: null }]);
    await expectProblem(await sam.get(`/api/v1/organization/${org}/robots/ci`), 403, "insufficient_scope");

    const dup = await expectProblem(await rita.put(`/api/v1/organization/${org}/robots/ci`, {}), 400, "invalid_request");
    expect(dup.detail).toBe(`Existing robot with name: ${org}+ci`);
    const renewed = await expectJson(await rita.post(`/api/v1/organization/${org}/robots/ci/regenerate`), 200);
    expect(await v2AuthStatus(made.name, made.token)).toBe(401);
    expect(await v2AuthStatus(made.name, renewed.token)).toBe(200);
    expect(await expectJson(await rita.get(`/api/v1/organization/${org}/robots/ci`), 200)).toMatchObject({ token: renewed.token });

    expect((await rita.delete(`/api/v1/organization/${org}/robots/ci`)).status).toBe(204);
    await expectRobotMissing(await rita.get(`/api/v1/organization/${org}/robots/ci`));
    // Unknown orgs answer like forbidden ones (permission before existence, as Quay).
    await expectProblem(await rita.get(`/api/v1/organization/no-such-org/robots`), 403, "insufficient_scope");
  });
});

describe("robot lists with permissions=true", () => {
  const teamAvatar = (name: string) => ({ name, kind: "team", hash: new Bun.CryptoHasher("sha256").update(name).digest("hex"), color: expect.any(String) });

  test("org robots name their teams and the repositories they hold grants on; only for admins", async () => {
    const rita = await as("rita");
    const org = `org-${uniq()}`;
    expect((await rita.post("/api/v1/organization/", { name: org })).status).toBe(201);
    const robot = await expectJson(await rita.put(`/api/v1/organization/${org}/robots/deployer`), 201);
    await expectJson(await rita.put(`/api/v1/organization/${org}/robots/idle`), 201);
    await expectJson(await rita.put(`/api/v1/organization/${org}/team/deployers`, { role: "member" }), 200);
    await expectJson(await rita.put(`/api/v1/organization/${org}/team/deployers/members/${robot.name}`), 200);
    for (const repo of ["app", "web"]) {
      await expectJson(await rita.post("/api/v1/repository", { namespace: org, repository: repo, visibility: "private", description: "" }), 201);
      await expectJson(await rita.put(`/api/v1/repository/${org}/${repo}/permissions/user/${robot.name}`, { role: "write" }), 200);
    }

    // As a Python client would ask: True and False.
    const list = await expectJson(await rita.get(`/api/v1/organization/${org}/robots?permissions=True&token=False`), 200);
    const byName = Object.fromEntries(list.robots.map((r: any) => [r.name, r]));
    expect(byName[robot.name]).toEqual({
      name: robot.name,
      created: robot.created,
      last_accessed: null,
      description: "",
      teams: [{ name: "deployers", avatar: teamAvatar("deployers") }],
      repositories: ["app", "web"],
    });
    expect(byName[`${org}+idle`]).toMatchObject({ teams: [], repositories: [] });
    // Without the flag (or with it false) the entries stay plain.
    for (const query of ["", "?permissions=false", "?permissions=0"]) {
      const plain = await expectJson(await rita.get(`/api/v1/organization/${org}/robots${query}`), 200);
      expect(plain.robots[0].teams).toBeUndefined();
      expect(plain.robots[0].repositories).toBeUndefined();
    }

    // A plain member sees neither tokens nor permissions, as in Quay.
    await rita.put(`/api/v1/organization/${org}/team/viewers`, { role: "member" });
    await rita.put(`/api/v1/organization/${org}/team/viewers/members/sam`);
    const seen = await expectJson(await (await as("sam")).get(`/api/v1/organization/${org}/robots?permissions=true`), 200);
    for (const r of seen.robots) expect(Object.keys(r).sort()).toEqual(["created", "description", "last_accessed", "name"]);
  });

  test("the caller's own robots list their repositories (and no teams: user robots join none)", async () => {
    const rita = await as("rita");
    const short = `bot${uniq()}`;
    const robot = await expectJson(await rita.put(`/api/v1/user/robots/${short}`), 201);
    const repo = `perm-${uniq()}`;
    await expectJson(await rita.post("/api/v1/repository", { repository: repo, visibility: "private", description: "" }), 201);
    await expectJson(await rita.put(`/api/v1/repository/rita/${repo}/permissions/user/${robot.name}`, { role: "read" }), 200);
    const list = await expectJson(await rita.get("/api/v1/user/robots?permissions=true"), 200);
    const { unstructured_metadata: _, ...entry } = robot;
    expect(list.robots.find((r: any) => r.name === robot.name)).toEqual({ ...entry, teams: [], repositories: [repo] });
  });
});
