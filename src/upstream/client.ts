// A client for one repository on an upstream registry, as the mirror (and later the proxy cache)
// reads it: tags (every page), manifests (OCI and Docker types, digest checked), blobs (streamed
// and checked as they pass), referrers (the API, or the tag schema fallback).
import { bareMediaType, digestOfBytes, isValidTag, MANIFEST_MEDIA_TYPES, parseDigest, type DigestAlgorithm } from "../oci";
import { UpstreamAuth, type Credentials } from "./auth";
import { cappedBody, upstreamFetch, UpstreamError, type ConnectionOptions } from "./connection";
import { nextLink } from "./linkHeader";
import { verifiedStream } from "./verifyStream";

export interface UpstreamClientOptions extends ConnectionOptions {
  /** host[:port] the repository lives on; the only host credentials go to. */
  host: string;
  credentials?: Credentials;
  /** Largest manifest accepted (the server's maxManifestBytes). */
  maxManifestBytes: number;
  /** "http" only when TLS verification is off and the upstream speaks no TLS (tests, a LAN registry). */
  scheme?: "https" | "http";
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
}

export interface ReferrerDescriptor {
  digest: string;
  mediaType: string;
  artifactType?: string;
  size: number;
}

const MAX_TAG_PAGE_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 10_000;
const ACCEPT = [...MANIFEST_MEDIA_TYPES].join(", ");

export class UpstreamClient {
  private readonly auth: UpstreamAuth;
  private readonly base: string;

  constructor(private readonly o: UpstreamClientOptions) {
    this.auth = new UpstreamAuth(o.host, o.credentials, o);
    this.base = `${o.scheme ?? "https"}://${o.host}`;
  }

  /** GET with the token flow: one retry after a 401 with the answer to its challenge. */
  private async get(url: string, repo: string, headers: Record<string, string> = {}, method: "GET" | "HEAD" = "GET"): Promise<Response> {
    const scope = `repository:${repo}:pull`;
    const init = { method, headers, credentialHost: this.o.host };
    let res = await upstreamFetch(url, { ...init, authorization: this.auth.header(scope) }, this.o);
    if (res.status !== 401) return res;
    const challenge = res.headers.get("www-authenticate");
    await res.body?.cancel().catch(() => {});
    res = await upstreamFetch(url, { ...init, authorization: await this.auth.answer(challenge, scope) }, this.o);
    if (res.status === 401) {
      await res.body?.cancel().catch(() => {});
      throw new UpstreamError(this.o.credentials ? "the upstream refused the credentials" : "the upstream requires credentials", 401);
    }
    return res;
  }

  private fail(res: Response, what: string): never {
    void res.body?.cancel().catch(() => {});
    throw new UpstreamError(`${what}: the upstream answered ${res.status}`, res.status);
  }

  /**
   * Quay's proxy-cache validation: GET /v2/ and, when it asks for a login and there are
   * credentials, log in (no scope). "valid": logged in or open; "anonymous": a login is asked and
   * none was given. A refused login throws.
   */
  async ping(): Promise<"valid" | "anonymous"> {
    const url = `${this.base}/v2/`;
    const init = { credentialHost: this.o.host };
    let res = await upstreamFetch(url, init, this.o);
    await res.body?.cancel().catch(() => {});
    if (res.status === 200) return "valid";
    if (res.status !== 401) throw new UpstreamError(`/v2/: the upstream answered ${res.status}`, res.status);
    if (!this.o.credentials) return "anonymous";
    res = await upstreamFetch(url, { ...init, authorization: await this.auth.answer(res.headers.get("www-authenticate"), "") }, this.o);
    await res.body?.cancel().catch(() => {});
    if (res.status === 200) return "valid";
    throw new UpstreamError("the upstream refused the credentials", res.status);
  }

  /** Every tag of `repo`, following `Link` pages. */
  async tags(repo: string): Promise<string[]> {
    const all: string[] = [];
    let url: string | undefined = `${this.base}/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; url && page < MAX_TAG_PAGES; page++) {
      const res = await this.get(url, repo);
      if (res.status !== 200) this.fail(res, `tags of ${repo}`);
      const body = JSON.parse(new TextDecoder().decode(await cappedBody(res, MAX_TAG_PAGE_BYTES, "a tag list page"))) as { tags?: unknown };
      if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === "string") all.push(t);
      url = nextLink(res.headers.get("link"), url);
    }
    return all;
  }

  /** The manifest `reference` (tag or digest) names, its digest checked; undefined when the upstream has none. */
  async manifest(repo: string, reference: string): Promise<FetchedManifest | undefined> {
    if (!parseDigest(reference).ok && !isValidTag(reference)) throw new UpstreamError(`${JSON.stringify(reference)} is not a tag or digest`);
    const res = await this.get(`${this.base}/v2/${repo}/manifests/${reference}`, repo, { Accept: ACCEPT });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    if (res.status !== 200) this.fail(res, `manifest ${repo}:${reference}`);
    const bytes = await cappedBody(res, this.o.maxManifestBytes, `manifest ${reference}`);
    const mediaType = bareMediaType(res.headers.get("content-type") ?? "") || (JSON.parse(new TextDecoder().decode(bytes)).mediaType as string);
    const asked = parseDigest(reference);
    const claimed = asked.ok ? reference : res.headers.get("docker-content-digest");
    const parsedClaim = claimed ? parseDigest(claimed) : undefined;
    const alg: DigestAlgorithm = parsedClaim?.ok ? parsedClaim.digest.algorithm : "sha256";
    const digest = digestOfBytes(bytes, alg);
    if (claimed && digest !== claimed) throw new UpstreamError(`manifest ${repo}:${reference}: the upstream sent ${digest}, not ${claimed}`);
    return { digest, mediaType, bytes };
  }

  /** The blob's bytes as a stream that errors at its end unless they are `digest` (and `size`). */
  async blob(repo: string, digest: string, size?: number): Promise<ReadableStream<Uint8Array>> {
    return (await this.openBlob(repo, digest, size)).body;
  }

  /** blob(), with the length the upstream declared (undefined when it sent none). */
  async openBlob(repo: string, digest: string, size?: number): Promise<{ body: ReadableStream<Uint8Array>; length: number | undefined }> {
    if (!parseDigest(digest).ok) throw new UpstreamError(`${JSON.stringify(digest)} is not a digest`);
    const res = await this.get(`${this.base}/v2/${repo}/blobs/${digest}`, repo);
    if (res.status !== 200 || !res.body) this.fail(res, `blob ${digest}`);
    const declared = Number(res.headers.get("content-length") ?? NaN);
    const length = size ?? (Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined);
    return { body: verifiedStream(res.body, digest, length), length };
  }

  /** Manifests whose subject is `digest`: the referrers API, or the `<alg>-<hex>` tag of the fallback schema. */
  async referrers(repo: string, digest: string): Promise<ReferrerDescriptor[]> {
    const res = await this.get(`${this.base}/v2/${repo}/referrers/${digest}`, repo, { Accept: "application/vnd.oci.image.index.v1+json" });
    let index: Uint8Array | undefined;
    if (res.status === 200 && bareMediaType(res.headers.get("content-type") ?? "") === "application/vnd.oci.image.index.v1+json") {
      index = await cappedBody(res, this.o.maxManifestBytes, "a referrers list");
    } else {
      await res.body?.cancel().catch(() => {});
      if (res.status !== 404 && res.status !== 200 && res.status !== 400 && res.status !== 405) this.fail(res, `referrers of ${digest}`);
      index = (await this.manifest(repo, digest.replace(":", "-")))?.bytes;
    }
    if (!index) return [];
    const parsed = JSON.parse(new TextDecoder().decode(index)) as { manifests?: ReferrerDescriptor[] };
    return (parsed.manifests ?? []).filter((m) => typeof m?.digest === "string" && typeof m.mediaType === "string");
  }
}
