// Routing for /v2/<name>/... where <name> may itself contain slashes (and even segments such as
// "blobs" or "manifests"), so no fixed-position router can split it. We anchor on the endpoint
// suffix instead: the last segments say which endpoint it is, everything before them is the name.
// The name is matched raw (not URL-decoded), so "%2F" or ".." simply make it fail the grammar.

import { isValidRepoName } from "./name.ts";
import { quoteForMessage } from "./quoteForMessage.ts";

export { parseReference, type ParseReferenceResult } from "./reference.ts";

export type V2Route =
  | { kind: "manifest"; repo: string; reference: string }
  | { kind: "blob"; repo: string; digest: string }
  | { kind: "uploadStart"; repo: string }
  | { kind: "upload"; repo: string; uuid: string }
  | { kind: "tags"; repo: string }
  | { kind: "referrers"; repo: string; digest: string };

export type ParseV2PathResult =
  | { ok: true; route: V2Route }
  | { ok: false; code: "NAME_INVALID" | "NOT_FOUND"; message: string };

type Matched = { nameSegments: string[]; build: (repo: string) => V2Route };

export function parseV2Path(rest: string): ParseV2PathResult {
  // A query string is not part of the route (defensive: callers should pass the path only).
  const q = rest.indexOf("?");
  const path = q === -1 ? rest : rest.slice(0, q);
  const matched = matchSuffix(path.split("/"));
  if (!matched) {
    return { ok: false, code: "NOT_FOUND", message: `no registry endpoint at /v2/${path}` };
  }
  const repo = matched.nameSegments.join("/");
  if (!isValidRepoName(repo)) {
    return {
      ok: false,
      code: "NAME_INVALID",
      message:
        repo === ""
          ? "repository name is missing"
          : `invalid repository name ${quoteForMessage(repo)}: use lowercase path components of [a-z0-9] separated by ".", "_", "__" or "-", at most 255 characters`,
    };
  }
  return { ok: true, route: matched.build(repo) };
}

// Most specific shapes first: "uploads" is a keyword, never a digest, so the upload shapes win
// over "<name>/blobs/<digest>".
function matchSuffix(segs: string[]): Matched | null {
  const n = segs.length;
  const at = (i: number) => segs[n - i] ?? "";
  const name = (suffixLength: number) => segs.slice(0, Math.max(0, n - suffixLength));

  if (n >= 2 && at(2) === "tags" && at(1) === "list") {
    return { nameSegments: name(2), build: (repo) => ({ kind: "tags", repo }) };
  }
  // Uploads tolerate one trailing slash (some clients append it to the Location they were given).
  const trailing = n >= 1 && at(1) === "" ? 1 : 0;
  const u = (i: number) => at(i + trailing);
  if (n - trailing >= 2 && u(2) === "blobs" && u(1) === "uploads") {
    return { nameSegments: name(2 + trailing), build: (repo) => ({ kind: "uploadStart", repo }) };
  }
  if (n - trailing >= 3 && u(3) === "blobs" && u(2) === "uploads" && u(1) !== "") {
    const uuid = decodeSegment(u(1));
    return { nameSegments: name(3 + trailing), build: (repo) => ({ kind: "upload", repo, uuid }) };
  }
  if (n >= 2 && at(1) !== "") {
    const last = decodeSegment(at(1));
    switch (at(2)) {
      case "manifests":
        return { nameSegments: name(2), build: (repo) => ({ kind: "manifest", repo, reference: last }) };
      case "blobs":
        return { nameSegments: name(2), build: (repo) => ({ kind: "blob", repo, digest: last }) };
      case "referrers":
        return { nameSegments: name(2), build: (repo) => ({ kind: "referrers", repo, digest: last }) };
    }
  }
  return null;
}

// Some HTTP clients percent-encode the ":" of a digest ("sha256%3A…"). Decode the final segment,
// but never let decoding smuggle in a "/" or fail: then the raw text is kept and the route's own
// validation (tag/digest grammar) rejects it.
function decodeSegment(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    const decoded = decodeURIComponent(raw);
    return decoded.includes("/") ? raw : decoded;
  } catch {
    return raw;
  }
}
