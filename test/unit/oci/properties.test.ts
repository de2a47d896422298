// Property tests (fast-check) over the pure parsers of what clients send: digests, references,
// repository names, /v2 paths, manifests, Range and Content-Range. Two kinds of property: on any
// input a parser answers with its typed result (never a throw), and what a client would format
// parses back to the same thing. Each bug these found has a table case in the parser's own test.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseDigest, DIGEST_HEX_LENGTH } from "../../../src/oci/digest.ts";
import { parseReference } from "../../../src/oci/reference.ts";
import { isValidRepoName, isValidTag, REPO_NAME_MAX } from "../../../src/oci/name.ts";
import { parseV2Path } from "../../../src/oci/v2Path.ts";
import { parseManifest } from "../../../src/oci/manifest.ts";
import { parseContentRange, parseRangeHeader } from "../../../src/oci/httpRange.ts";
import { MANIFEST_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from "../../../src/oci/mediaTypes.ts";

const RUNS = { numRuns: 2000 };

// ---- generators of well-formed values (what a correct client sends) ----

const hexOf = (n: number) => fc.stringMatching(new RegExp(`^[a-f0-9]{${n}}$`));
const digestArb = fc.oneof(
  hexOf(DIGEST_HEX_LENGTH.sha256).map((h) => `sha256:${h}`),
  hexOf(DIGEST_HEX_LENGTH.sha512).map((h) => `sha512:${h}`),
);
const tagArb = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/);
const componentArb = fc
  .array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 4 })
  .chain((parts) =>
    fc.array(fc.constantFrom(".", "_", "__", "-", "--"), { minLength: parts.length - 1, maxLength: parts.length - 1 }).map((seps) =>
      parts.reduce((acc, p, i) => (i === 0 ? p : acc + seps[i - 1] + p), ""),
    ),
  );
const repoNameArb = fc
  .array(componentArb, { minLength: 1, maxLength: 4 })
  .map((c) => c.join("/"))
  .filter((n) => n.length <= REPO_NAME_MAX);
const mediaTypeArb = fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,20}\/[a-z0-9][a-z0-9.+-]{0,30}$/);
const descriptorArb = fc.record(
  {
    mediaType: mediaTypeArb,
    digest: digestArb,
    size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    annotations: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    urls: fc.array(fc.webUrl(), { maxLength: 2 }),
  },
  { requiredKeys: ["mediaType", "digest", "size"] },
);

/** Any text a hostile or broken client might send: ASCII-ish, full unicode, and near-grammar strings. */
const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 100 }),
  fc.stringMatching(/^[a-z0-9:+._=-]{0,140}$/),
  fc.stringMatching(/^([Bb]ytes)?[ =]{0,2}[0-9*,/ -]{0,30}$/),
);

/** Whether an answer can be sent and stored: the server JSON-encodes parsed values. */
function serialisable(v: unknown): boolean {
  JSON.stringify(v);
  return true;
}

describe("digests", () => {
  test("any string parses to a digest or DIGEST_INVALID/UNSUPPORTED, never a throw", () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const r = parseDigest(s);
        if (r.ok) expect(r.digest.value).toBe(s); // no normalisation: the digest is the text
        else expect(["DIGEST_INVALID", "UNSUPPORTED"]).toContain(r.code);
      }),
      RUNS,
    );
  });

  test("format → parse: alg:hex round-trips", () => {
    fc.assert(
      fc.property(digestArb, (d) => {
        const r = parseDigest(d);
        expect(r.ok && r.digest.value === d && `${r.digest.algorithm}:${r.digest.hex}` === d).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("references, tags and names", () => {
  test("any string parses to a tag, a digest or a typed error", () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const r = parseReference(s);
        if (!r.ok) expect(["TAG_INVALID", "DIGEST_INVALID", "UNSUPPORTED"]).toContain(r.code);
        else if (r.kind === "tag") expect(isValidTag(r.tag) && r.tag === s).toBe(true);
        else expect(r.digest.value).toBe(s);
        expect(typeof isValidRepoName(s)).toBe("boolean");
      }),
      RUNS,
    );
  });

  test("format → parse: tags and digests round-trip as references", () => {
    fc.assert(
      fc.property(fc.oneof(tagArb, digestArb), (ref) => {
        const r = parseReference(ref);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.kind === "tag" ? r.tag : r.digest.value).toBe(ref);
      }),
      RUNS,
    );
  });

  test("generated repository names are valid; a name with an upper-case letter or a bad edge is not", () => {
    fc.assert(
      fc.property(repoNameArb, fc.constantFrom("A", "/", "-", ".", "_", ":", "//"), (name, bad) => {
        expect(isValidRepoName(name)).toBe(true);
        expect(isValidRepoName(`${name}${bad}`)).toBe(false);
        expect(isValidRepoName(`${bad}${name}`)).toBe(false);
      }),
      RUNS,
    );
  });

  test("/v2 paths: any path parses to a route or NAME_INVALID/NOT_FOUND", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.array(fc.oneof(anyText, fc.constantFrom("blobs", "uploads", "manifests", "tags", "list", "referrers", "", "%2F", "%3A")), { maxLength: 8 }).map((a) => a.join("/"))), (p) => {
        const r = parseV2Path(p);
        if (r.ok) expect(isValidRepoName(r.route.repo)).toBe(true);
        else expect(["NAME_INVALID", "NOT_FOUND"]).toContain(r.code);
      }),
      RUNS,
    );
  });

  test("format → parse: every endpoint path of a valid name names that repository and reference", () => {
    fc.assert(
      fc.property(repoNameArb, tagArb, digestArb, fc.uuid(), (repo, tag, digest, uuid) => {
        expect(parseV2Path(`${repo}/manifests/${tag}`)).toEqual({ ok: true, route: { kind: "manifest", repo, reference: tag } });
        expect(parseV2Path(`${repo}/manifests/${digest}`)).toEqual({ ok: true, route: { kind: "manifest", repo, reference: digest } });
        expect(parseV2Path(`${repo}/blobs/${digest.replace(":", "%3A")}`)).toEqual({ ok: true, route: { kind: "blob", repo, digest } });
        expect(parseV2Path(`${repo}/blobs/uploads/`)).toEqual({ ok: true, route: { kind: "uploadStart", repo } });
        expect(parseV2Path(`${repo}/blobs/uploads/${uuid}`)).toEqual({ ok: true, route: { kind: "upload", repo, uuid } });
        expect(parseV2Path(`${repo}/tags/list`)).toEqual({ ok: true, route: { kind: "tags", repo } });
        expect(parseV2Path(`${repo}/referrers/${digest}`)).toEqual({ ok: true, route: { kind: "referrers", repo, digest } });
      }),
      RUNS,
    );
  });
});

describe("manifests", () => {
  const contentTypeArb = fc.option(fc.oneof(fc.constantFrom(...MANIFEST_MEDIA_TYPES, "application/json", ""), fc.string({ maxLength: 60 })), { nil: null });
  const check = (bytes: Uint8Array, ct: string | null) => {
    const r = parseManifest(bytes, ct);
    if (!r.ok) expect(["MANIFEST_INVALID", "UNSUPPORTED"]).toContain(r.code);
    expect(serialisable(r)).toBe(true);
    return r;
  };

  test("any bytes: a parsed manifest or MANIFEST_INVALID/UNSUPPORTED, never a throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), contentTypeArb, (bytes, ct) => void check(bytes, ct)),
      RUNS,
    );
  });

  test("any JSON value, and manifests with any field replaced by any JSON value, never throw", () => {
    const valid = fc.record({ config: descriptorArb, layers: fc.array(descriptorArb, { maxLength: 3 }) }).map((m) => ({ schemaVersion: 2, mediaType: OCI_MANIFEST, ...m }));
    const mutated = fc.tuple(valid, fc.constantFrom("schemaVersion", "mediaType", "config", "layers", "manifests", "subject", "annotations", "artifactType", "__proto__"), fc.jsonValue()).map(([m, k, v]) => {
      const out: Record<string, unknown> = { ...m };
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutated), contentTypeArb, (doc, ct) => void check(new TextEncoder().encode(JSON.stringify(doc) ?? ""), ct)),
      RUNS,
    );
  });

  test("a document nested deeper than any manifest needs is MANIFEST_INVALID, not kept", () => {
    for (const depth of [200_000, 5_000]) {
      const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const child = `{"mediaType":"${OCI_MANIFEST}","digest":"sha256:${"a".repeat(64)}","size":1,"platform":{"x":${deep}}}`;
      const r = check(new TextEncoder().encode(`{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${child}]}`), null);
      expect(r.ok ? "ok" : r.code).toBe("MANIFEST_INVALID");
    }
  });

  test("format → parse: image manifests and indexes give back their descriptors", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        descriptorArb,
        fc.array(descriptorArb, { maxLength: 5 }),
        fc.option(descriptorArb, { nil: undefined }),
        fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), { nil: undefined }),
        (index, config, list, subject, annotations) => {
          const doc = index
            ? { schemaVersion: 2, mediaType: OCI_INDEX, manifests: list, subject, annotations }
            : { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: list, subject, annotations };
          const r = check(new TextEncoder().encode(JSON.stringify(doc)), null);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.manifest.kind).toBe(index ? "index" : "image");
          expect(r.manifest.blobs).toEqual(index ? [] : [config, ...list]);
          expect(r.manifest.children).toEqual(index ? list : []);
          expect(r.manifest.subject).toEqual(subject);
          expect(r.manifest.annotations).toEqual(annotations);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("Range and Content-Range", () => {
  const sizeArb = fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }));

  test("any Range header: full, unsatisfiable, or a partial range inside the blob", () => {
    fc.assert(
      fc.property(fc.option(anyText, { nil: null }), sizeArb, (h, size) => {
        const r = parseRangeHeader(h, size);
        if (r.kind === "partial") {
          expect(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end)).toBe(true);
          expect(0 <= r.start && r.start <= r.end && r.end < size).toBe(true);
        } else expect(["full", "unsatisfiable"]).toContain(r.kind);
      }),
      RUNS,
    );
  });

  test("format → parse: bytes=a-b, bytes=a- and bytes=-n inside the blob", () => {
    fc.assert(
      fc.property(sizeArb.filter((s) => s > 0), fc.nat(), fc.nat(), (size, x, y) => {
        const a = x % size;
        const b = a + (y % (size - a));
        expect(parseRangeHeader(`bytes=${a}-${b}`, size)).toEqual({ kind: "partial", start: a, end: b });
        expect(parseRangeHeader(`bytes=${a}-`, size)).toEqual({ kind: "partial", start: a, end: size - 1 });
        const n = b - a + 1;
        expect(parseRangeHeader(`bytes=-${n}`, size)).toEqual({ kind: "partial", start: size - n, end: size - 1 });
      }),
      RUNS,
    );
  });

  test("any Content-Range: ok with safe integers start ≤ end, or not ok", () => {
    fc.assert(
      fc.property(fc.option(anyText, { nil: null }), (h) => {
        const r = parseContentRange(h);
        if (r.ok) expect(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && 0 <= r.start && r.start <= r.end).toBe(true);
      }),
      RUNS,
    );
  });

  test("format → parse: a-b, bytes a-b/total and bytes a-b/* round-trip", () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat(), (a, len, extra) => {
        const b = Math.min(Number.MAX_SAFE_INTEGER - 1, a + len);
        const want = { ok: true, start: a, end: b };
        expect(parseContentRange(`${a}-${b}`)).toEqual(want);
        expect(parseContentRange(`bytes ${a}-${b}/*`)).toEqual(want);
        expect(parseContentRange(`bytes ${a}-${b}/${b + 1 + (extra % 1000)}`)).toEqual(want);
      }),
      RUNS,
    );
  });
});
