// Which body rule a request falls under (src/bodyLimit.ts): only blob uploads stream, manifest
// PUTs are read by their route, everything else is read whole up to maxApiBodyBytes.
import { describe, expect, test } from "bun:test";
import { bodyRule } from "../../src/bodyLimit";

const limits = { maxApiBodyBytes: 1000, maxManifestBytes: 4000 };
const UUID = "0b4a9c52-0000-4000-8000-000000000000";

describe("bodyRule", () => {
  const cases: [string, string, ReturnType<typeof bodyRule>][] = [
    ["POST", "/v2/ns/app/blobs/uploads/", { kind: "stream" }],
    ["POST", "/v2/a/b/c/blobs/uploads/", { kind: "stream" }],
    ["PATCH", `/v2/ns/app/blobs/uploads/${UUID}`, { kind: "stream" }],
    ["PUT", `/v2/ns/app/blobs/uploads/${UUID}`, { kind: "stream" }],
    ["PUT", "/v2/ns/app/manifests/latest", { kind: "route", limit: 4000 }],
    ["PUT", "/v2/blobs/uploads/manifests/latest", { kind: "route", limit: 4000 }],
    // Everything else is read here, whole, up to the API cap.
    ["GET", `/v2/ns/app/blobs/uploads/${UUID}`, { kind: "buffer", limit: 1000 }],
    ["DELETE", `/v2/ns/app/blobs/uploads/${UUID}`, { kind: "buffer", limit: 1000 }],
    ["PATCH", "/v2/ns/app/blobs/uploads/", { kind: "buffer", limit: 1000 }],
    ["POST", "/v2/ns/app/manifests/latest", { kind: "buffer", limit: 1000 }],
    ["PUT", "/v2/ns/app/blobs/sha256:" + "a".repeat(64), { kind: "buffer", limit: 1000 }],
    ["POST", "/v2/auth", { kind: "buffer", limit: 1000 }],
    ["POST", "/v2/", { kind: "buffer", limit: 1000 }],
    ["POST", "/v2/_catalog", { kind: "buffer", limit: 1000 }],
    ["PATCH", "/v2/UPPER/app/blobs/uploads/", { kind: "buffer", limit: 1000 }],
    ["POST", "/api/v1/signin", { kind: "buffer", limit: 1000 }],
    ["POST", "/oauth/authorizeapp", { kind: "buffer", limit: 1000 }],
    ["GET", "/health/instance", { kind: "buffer", limit: 1000 }],
    ["PUT", "/anything/else", { kind: "buffer", limit: 1000 }],
    ["POST", "/v3/ns/app/blobs/uploads/", { kind: "buffer", limit: 1000 }],
  ];
  for (const [method, path, rule] of cases) {
    test(`${method} ${path}`, () => expect(bodyRule(method, path, limits)).toEqual(rule));
  }
});
