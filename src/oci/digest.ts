// Content digests as the OCI image-spec defines them (descriptor.md#digests):
//   digest    ::= algorithm ":" encoded
//   algorithm ::= [a-z0-9]+ ([+._-] [a-z0-9]+)*
//   encoded   ::= [a-zA-Z0-9=_-]+
// Berth only computes sha256 and sha512, so other grammatical algorithms are UNSUPPORTED
// (a distinct error from a malformed digest, as the distribution-spec asks).

import { quoteForMessage } from "./quoteForMessage.ts";

export type DigestAlgorithm = "sha256" | "sha512";

export interface Digest {
  algorithm: DigestAlgorithm;
  /** The encoded part: lowercase hex of the registered length. */
  hex: string;
  /** The canonical string, "sha256:<hex>". */
  value: string;
}

export type ParseDigestResult =
  | { ok: true; digest: Digest }
  | { ok: false; code: "DIGEST_INVALID" | "UNSUPPORTED"; message: string };

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ["sha256", "sha512"];

/** Hex length of each registered algorithm's encoded part. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

const DIGEST_GRAMMAR = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const LOWER_HEX = /^[a-f0-9]+$/;

export function isDigestAlgorithm(alg: string): alg is DigestAlgorithm {
  return alg === "sha256" || alg === "sha512";
}

export function parseDigest(s: string): ParseDigestResult {
  const m = DIGEST_GRAMMAR.exec(s);
  if (!m) {
    return {
      ok: false,
      code: "DIGEST_INVALID",
      message: `invalid digest ${quoteForMessage(s)}: expected "<algorithm>:<encoded>", e.g. "sha256:" followed by 64 hex characters`,
    };
  }
  const algorithm = m[1]!;
  const hex = m[2]!;
  if (!isDigestAlgorithm(algorithm)) {
    return {
      ok: false,
      code: "UNSUPPORTED",
      message: `digest algorithm ${quoteForMessage(algorithm)} is not supported; use sha256 or sha512`,
    };
  }
  const want = DIGEST_HEX_LENGTH[algorithm];
  if (hex.length !== want || !LOWER_HEX.test(hex)) {
    return {
      ok: false,
      code: "DIGEST_INVALID",
      message: `invalid digest ${quoteForMessage(s)}: a ${algorithm} digest must be exactly ${want} lowercase hex characters`,
    };
  }
  return { ok: true, digest: { algorithm, hex, value: `${algorithm}:${hex}` } };
}

/** A streaming hasher for uploads; `.digest("hex")` gives the encoded part. */
export function digestHasher(alg: DigestAlgorithm): Bun.CryptoHasher {
  return new Bun.CryptoHasher(alg);
}

/** The digest string ("alg:hex") of bytes already in memory, e.g. a manifest body. */
export function digestOfBytes(bytes: Uint8Array, alg: DigestAlgorithm = "sha256"): string {
  return `${alg}:${digestHasher(alg).update(bytes).digest("hex")}`;
}
