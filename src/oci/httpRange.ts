// The two byte-range headers the registry reads. Both are pure: the caller owns the bytes.

export type RangeRequest =
  | { kind: "full" }
  | { kind: "partial"; start: number; /** inclusive */ end: number }
  | { kind: "unsatisfiable" };

const FULL: RangeRequest = { kind: "full" };
const UNSATISFIABLE: RangeRequest = { kind: "unsatisfiable" };

const SINGLE_RANGE = /^(\d*)-(\d*)$/;

/**
 * `Range` on GET blob (RFC 9110 §14.2). Only one range is served: a server may ignore Range, so
 * multiple ranges, other units and malformed values all get the full blob rather than an error.
 */
export function parseRangeHeader(header: string | null, size: number): RangeRequest {
  if (header === null) return FULL;
  const eq = header.indexOf("=");
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return FULL;
  const spec = header.slice(eq + 1).trim();
  if (spec.includes(",")) return FULL;
  const m = SINGLE_RANGE.exec(spec);
  if (!m) return FULL;
  const [, first = "", last = ""] = m;

  if (first === "") {
    if (last === "") return FULL; // "bytes=-" is not a range
    // Suffix: the last n bytes; a suffix longer than the blob means all of it.
    const n = Number(last);
    if (n === 0 || size === 0) return UNSATISFIABLE;
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Number(last);
  if (start > end || start >= size) return UNSATISFIABLE;
  return { kind: "partial", start, end: Math.min(end, size - 1) };
}

const CONTENT_RANGE = /^(?:bytes\s+)?(\d+)-(\d+)(?:\/(\d+|\*))?$/i;

/**
 * `Content-Range` on a chunked upload PATCH: "<start>-<end>", inclusive. Docker clients send it
 * bare; we also take the RFC form's "bytes " prefix and a "/total" or "/*" suffix.
 */
export function parseContentRange(header: string | null): { ok: true; start: number; end: number } | { ok: false } {
  if (header === null) return { ok: false };
  const m = CONTENT_RANGE.exec(header.trim());
  if (!m) return { ok: false };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return { ok: false };
  if (m[3] !== undefined && m[3] !== "*" && end >= Number(m[3])) return { ok: false };
  return { ok: true, start, end };
}
