// A manifest <reference> is either a tag or a digest; tags cannot contain ":", digests must.

import { parseDigest, type Digest } from "./digest.ts";
import { isValidTag } from "./name.ts";
import { quoteForMessage } from "./quoteForMessage.ts";

export type ParseReferenceResult =
  | { ok: true; kind: "tag"; tag: string }
  | { ok: true; kind: "digest"; digest: Digest }
  | { ok: false; code: "TAG_INVALID" | "DIGEST_INVALID" | "UNSUPPORTED"; message: string };

export function parseReference(ref: string): ParseReferenceResult {
  if (ref.includes(":")) {
    const parsed = parseDigest(ref);
    return parsed.ok ? { ok: true, kind: "digest", digest: parsed.digest } : parsed;
  }
  if (!isValidTag(ref)) {
    return {
      ok: false,
      code: "TAG_INVALID",
      message: `invalid tag ${quoteForMessage(ref)}: tags are 1 to 128 characters of [A-Za-z0-9_.-] and must not start with "." or "-"`,
    };
  }
  return { ok: true, kind: "tag", tag: ref };
}
