// GET /v2/ and what every /v2 answer carries (version header, error shape,
// no 500 for anything a client can get wrong).
import { describe, expect, test } from "bun:test";
import { serverForFile, type TestServer } from "../support/server";
import {
  API_VERSION,
  expectApiVersion,
  expectError,
  MT,
  randomDigest,
  RegistryClient,
  repoName,
  utf8,
  digestOf,
} from "../support/registryClient";

let server: TestServer;
let c: RegistryClient;
serverForFile((started) => {
  server = started;
  c = new RegistryClient(started.url);
});

describe("GET /v2/", () => {
  test("answers 200 with the API version header and a JSON body", async () => {
    const res = await c.fetch("/v2/");
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-distribution-api-version")).toBe(API_VERSION);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(await res.json()).toEqual({});
  });

  test("/v2 without the trailing slash is the same endpoint", async () => {
    const res = await c.fetch("/v2");
    expect(res.status).toBe(200);
    expectApiVersion(res);
  });

  test("runs open: no credentials needed and no challenge", async () => {
    const res = await c.fetch("/v2/");
    expect(res.status).toBe(200);
    expect(res.headers.get("www-authenticate")).toBeNull();
  });
});

describe("errors", () => {
  test("an unknown /v2 endpoint is a JSON 404 with the version header", async () => {
    const errors = await expectError(await c.fetch("/v2/some/repo/nothing-here"), 404, "NOT_FOUND");
    expect(errors[0]!.message).toContain("/v2/some/repo/nothing-here");
  });

  test("a method an endpoint does not take is 405 UNSUPPORTED", async () => {
    const name = repoName();
    await expectError(await c.fetch(`/v2/${name}/manifests/latest`, { method: "POST" }), 405, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/blobs/${randomDigest()}`, { method: "PUT", body: "x" }), 405, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/blobs/${randomDigest()}`, { method: "PATCH", body: "x" }), 405, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/tags/list`, { method: "DELETE" }), 405, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/referrers/${randomDigest()}`, { method: "PUT", body: "{}" }), 405, "UNSUPPORTED");
    await expectError(await c.fetch(`/v2/${name}/blobs/uploads/`, { method: "PUT" }), 405, "UNSUPPORTED");
  });

  test("HEAD errors carry the status and headers but no body", async () => {
    const res = await c.fetch(`/v2/${repoName()}/manifests/latest`, { method: "HEAD" });
    expect(res.status).toBe(404);
    expectApiVersion(res);
    expect(await res.text()).toBe("");
  });

  test("the error body is exactly {errors:[{code,message,detail?}]}", async () => {
    const res = await c.fetch(`/v2/${repoName()}/manifests/latest`);
    const body = (await res.json()) as any;
    expect(Object.keys(body)).toEqual(["errors"]);
    expect(body.errors).toHaveLength(1);
    for (const key of Object.keys(body.errors[0])) expect(["code", "message", "detail"]).toContain(key);
    expect(body.errors[0].code).toBe("NAME_UNKNOWN");
    expect(body.errors[0].message.length).toBeGreaterThan(0);
  });
});

describe("no 500 from client mistakes", () => {
  // Each request is wrong in some way; the registry must say so with a 4xx OCI error.
  const D = digestOf("x");
  const cases: Array<[string, string, string, RequestInit]> = [
    ["bad digest in blob path", "GET", "/v2/a/b/blobs/sha256:zz", {}],
    ["tag where a blob digest belongs", "GET", "/v2/a/b/blobs/latest", {}],
    ["unsupported algorithm in blob path", "HEAD", `/v2/a/b/blobs/md5:${"a".repeat(32)}`, {}],
    ["uppercase hex digest", "GET", `/v2/a/b/blobs/sha256:${"A".repeat(64)}`, {}],
    ["digest with a percent-encoded slash", "GET", "/v2/a/b/blobs/sha256%2F..%2F..%2Fetc", {}],
    ["hostile upload id", "GET", "/v2/a/b/blobs/uploads/..%2F..%2Fberth.db", {}],
    ["hostile upload id on PATCH", "PATCH", "/v2/a/b/blobs/uploads/..%2F..%2Fberth.db", { body: "x" }],
    ["hostile upload id on PUT", "PUT", `/v2/a/b/blobs/uploads/${"z".repeat(300)}?digest=${D}`, { body: "x" }],
    ["hostile upload id on DELETE", "DELETE", "/v2/a/b/blobs/uploads/%00", {}],
    ["PUT upload without digest", "PUT", "/v2/a/b/blobs/uploads/0f9c3b9e-3c1e-4a59-9d47-6f6e7a1c2b3d", {}],
    ["monolithic POST with garbage digest", "POST", "/v2/a/b/blobs/uploads/?digest=garbage", { body: "x" }],
    ["monolithic POST with empty digest", "POST", "/v2/a/b/blobs/uploads/?digest=", { body: "x" }],
    ["mount with garbage digest", "POST", "/v2/a/b/blobs/uploads/?mount=nope&from=c/d", {}],
    ["manifest PUT with an empty body", "PUT", "/v2/a/b/manifests/t", { body: "" }],
    ["manifest PUT with JSON null", "PUT", "/v2/a/b/manifests/t", { body: "null" }],
    ["manifest PUT with a JSON array", "PUT", "/v2/a/b/manifests/t", { body: "[1,2]" }],
    ["manifest PUT with a JSON string", "PUT", "/v2/a/b/manifests/t", { body: '"x"' }],
    ["manifest PUT with invalid UTF-8", "PUT", "/v2/a/b/manifests/t", { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }],
    ["manifest PUT with deeply nested JSON", "PUT", "/v2/a/b/manifests/t", { body: "[".repeat(5000) + "]".repeat(5000) }],
    ["manifest PUT with numbers for strings", "PUT", "/v2/a/b/manifests/t", { body: '{"schemaVersion":2,"mediaType":7,"config":1,"layers":2}' }],
    ["manifest PUT with huge sizes", "PUT", "/v2/a/b/manifests/t", {
      headers: { "Content-Type": MT.ociManifest },
      body: JSON.stringify({ schemaVersion: 2, config: { mediaType: MT.ociConfig, digest: D, size: 1e300 }, layers: [] }),
    }],
    ["manifest PUT with a bad tag", "PUT", "/v2/a/b/manifests/-x", { body: "{}" }],
    ["manifest GET with a bad digest", "GET", "/v2/a/b/manifests/sha256:1234", {}],
    ["manifest DELETE with an unsupported digest", "DELETE", `/v2/a/b/manifests/sha1:${"a".repeat(40)}`, {}],
    ["tags/list with n=-1", "GET", "/v2/a/b/tags/list?n=-1", {}],
    ["tags/list with n=1e3", "GET", "/v2/a/b/tags/list?n=1e3", {}],
    ["_catalog with n=abc", "GET", "/v2/_catalog?n=abc", {}],
    ["referrers of a tag", "GET", "/v2/a/b/referrers/latest", {}],
    ["referrers with an unsupported digest", "GET", `/v2/a/b/referrers/sha384:${"a".repeat(96)}`, {}],
    ["empty repository name", "GET", "/v2//manifests/latest", {}],
    ["unicode repository name", "GET", "/v2/%C3%A9t%C3%A9/manifests/latest", {}],
  ];

  test.each(cases)("%s", async (_label, method, path, init) => {
    const res = await c.fetch(path, { method, ...init });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectApiVersion(res);
    if (method !== "HEAD") {
      const body = (await res.json()) as any;
      expect(body.errors[0].code).toMatch(/^[A-Z_]+$/);
    }
  });

  test("weird Range headers on a blob never fail the server", async () => {
    const name = repoName();
    const blob = await c.pushBlob(name, utf8("0123456789"));
    for (const range of ["bytes=", "bytes=-", "bytes=a-b", "bytes=5-2", "bytes=0-1,3-4", "items=0-1", "bytes=99999999999999999999-", "bytes=-99999999999999999999", " "]) {
      const res = await c.fetch(`/v2/${name}/blobs/${blob.digest}`, { headers: { Range: range } });
      expect([200, 206, 416]).toContain(res.status);
      expectApiVersion(res);
      await res.arrayBuffer();
    }
  });

  test("weird Content-Range headers on an upload are 416, never 500", async () => {
    const name = repoName();
    const location = await c.startUpload(name);
    for (const cr of ["", "abc", "5-2", "0-", "-1", "0-99999999999999999999", "bytes 0-0/0"]) {
      const res = await c.fetch(location, { method: "PATCH", headers: { "Content-Range": cr }, body: "x" });
      expect(res.status).toBe(416);
      expectApiVersion(res);
      await res.arrayBuffer();
    }
    // The session survived all of that untouched.
    const status = await c.fetch(location);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-0");
  });
});
