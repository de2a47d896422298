import { describe, expect, test } from "bun:test";
import { digestHasher, digestOfBytes, parseDigest } from "../../../src/oci/digest.ts";

const H64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const H128 =
  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

describe("parseDigest accepts", () => {
  test.each([
    [`sha256:${H64}`, "sha256", H64],
    [`sha512:${H128}`, "sha512", H128],
    [`sha256:${"0".repeat(64)}`, "sha256", "0".repeat(64)],
  ])("%s", (input, algorithm, hex) => {
    const r = parseDigest(input);
    expect(r).toEqual({ ok: true, digest: { algorithm: algorithm as "sha256", hex, value: input } });
  });
});

describe("parseDigest rejects as DIGEST_INVALID", () => {
  test.each([
    ["empty", ""],
    ["no colon", H64],
    ["empty algorithm", `:${H64}`],
    ["empty encoded", "sha256:"],
    ["uppercase hex", `sha256:${H64.toUpperCase()}`],
    ["one uppercase hex char", `sha256:${H64.slice(0, 63)}F`],
    ["short hex", `sha256:${H64.slice(0, 63)}`],
    ["long hex", `sha256:${H64}0`],
    ["sha512 with 64 hex", `sha512:${H64}`],
    ["sha256 with 128 hex", `sha256:${H128}`],
    ["non-hex but grammatical", `sha256:${"g".repeat(64)}`],
    ["uppercase algorithm", `SHA256:${H64}`],
    ["two colons", `sha256:${H64}:x`],
    ["leading space", ` sha256:${H64}`],
    ["trailing newline", `sha256:${H64}\n`],
    ["separator at algorithm start", `+sha256:${H64}`],
    ["double separator in algorithm", `sha..256:${H64}`],
    ["slash in encoded", `sha256:${H64.slice(0, 32)}/${H64.slice(33)}`],
    ["plus in encoded", "md5:ab+cd"],
  ])("%s", (_label, input) => {
    const r = parseDigest(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("DIGEST_INVALID");
      expect(r.message.length).toBeGreaterThan(10);
    }
  });
});

describe("parseDigest rejects as UNSUPPORTED", () => {
  test.each([
    ["md5:abc", "md5"],
    [`blake3:${H64}`, "blake3"],
    [`sha384:${"a".repeat(96)}`, "sha384"],
    ["multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", "multihash+base58"],
    ["sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "sha256+b64u"],
    ["a.b_c-d:x", "a.b_c-d"],
  ])("%s", (input, alg) => {
    const r = parseDigest(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe("UNSUPPORTED");
      expect(r.message).toBe(`digest algorithm "${alg}" is not supported; use sha256 or sha512`);
    }
  });
});

test("error messages truncate huge input", () => {
  const r = parseDigest("x".repeat(100_000));
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.message.length).toBeLessThan(300);
});

describe("digestOfBytes", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  test.each([
    ["", "sha256", `sha256:${H64}`],
    ["", "sha512", `sha512:${H128}`],
    ["abc", "sha256", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abc",
      "sha512",
      "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ],
  ] as const)("%j %s", (input, alg, want) => {
    expect(digestOfBytes(enc(input), alg)).toBe(want);
    expect(parseDigest(want).ok).toBe(true);
  });

  test("defaults to sha256", () => {
    expect(digestOfBytes(new Uint8Array())).toBe(`sha256:${H64}`);
  });

  test("digestHasher streams to the same result", () => {
    const h = digestHasher("sha256");
    h.update(enc("a"));
    h.update(enc("bc"));
    expect(`sha256:${h.digest("hex")}`).toBe(digestOfBytes(enc("abc")));
  });
});
