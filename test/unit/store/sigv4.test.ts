import { expect, test } from "bun:test";
import { canonicalQuery, signRequest, uriEncode } from "../../../src/store/blobs/s3/sigv4";

// AWS's worked examples (S3 API reference, "Signature Calculations for the Authorization Header").
const keys = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1" };
const when = new Date("2013-05-24T00:00:00Z");
const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type Case = { name: string; req: { method: string; path: string; query: Record<string, string>; headers: Record<string, string> }; signature: string };

test.each<Case>([
  {
    name: "GET Object with a Range",
    req: { method: "GET", path: "/test.txt", query: {}, headers: { range: "bytes=0-9" } },
    signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  },
  {
    name: "GET Bucket lifecycle",
    req: { method: "GET", path: "/", query: { lifecycle: "" }, headers: {} },
    signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
  },
  {
    name: "GET Bucket (list objects)",
    req: { method: "GET", path: "/", query: { "max-keys": "2", prefix: "J" }, headers: {} },
    signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
  },
])("SigV4: $name", ({ req, signature }) => {
  const headers = signRequest(keys, { ...req, host: "examplebucket.s3.amazonaws.com", payloadHash: emptyHash }, when);
  expect(headers.authorization).toEndWith(`Signature=${signature}`);
  expect(headers["x-amz-date"]).toBe("20130524T000000Z");
});

test.each([
  ["a/b c.txt", true, "a/b%20c.txt"],
  ["a/b", false, "a%2Fb"],
  ["ü~-_.", false, "%C3%BC~-_."],
])("uriEncode(%p, keepSlash=%p) = %p", (value, keep, out) => {
  expect(uriEncode(value, keep)).toBe(out);
});

test("canonical query: sorted by name, empty values kept as name=", () => {
  expect(canonicalQuery({ uploads: "", prefix: "a b", "max-keys": "2" })).toBe("max-keys=2&prefix=a%20b&uploads=");
});
