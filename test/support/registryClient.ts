// A small OCI distribution client for API and end-to-end tests: digests, blob and manifest pushes,
// random images, raw HTTP (for what fetch would normalise), and the checks every /v2 answer gets.
// Deliberately independent of src/: media types and digests are spelled out here, so a test fails
// when Berth drifts from the wire format rather than agreeing with itself.
import { expect } from "bun:test";

export const API_VERSION = "registry/2.0";

export const MT = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociEmpty: "application/vnd.oci.empty.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  schema1: "application/vnd.docker.distribution.manifest.v1+json",
  schema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

export type Bytes = Uint8Array;
export type Algorithm = "sha256" | "sha512";

export const EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function digestOf(bytes: Bytes | string, alg: Algorithm = "sha256"): string {
  return `${alg}:${new Bun.CryptoHasher(alg).update(bytes).digest("hex")}`;
}

export function randomBytes(n: number): Bytes {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 64 KiB per call.
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A digest of nothing anyone pushed (random hex). */
export function randomDigest(alg: Algorithm = "sha256"): string {
  return digestOf(randomBytes(32), alg);
}

/** A fresh, valid repository name such as `t/abc123` (tests never collide). */
export function repoName(prefix = "t"): string {
  return `${prefix}/${crypto.randomUUID().slice(0, 8)}`;
}

export const utf8 = (s: string): Bytes => new TextEncoder().encode(s);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  [k: string]: unknown;
}

export interface PushedBlob extends Descriptor {
  bytes: Bytes;
}

export function descriptor(mediaType: string, bytes: Bytes, alg: Algorithm = "sha256"): PushedBlob {
  return { mediaType, digest: digestOf(bytes, alg), size: bytes.byteLength, bytes };
}

/** Strips the test-only `bytes` so a descriptor can go into a manifest. */
export function asDescriptor(d: Descriptor): Descriptor {
  const { bytes: _bytes, ...rest } = d as PushedBlob;
  return rest;
}

export class RegistryClient {
  constructor(readonly base: string) {}

  url(path: string): string {
    return path.startsWith("http") ? path : `${this.base}${path}`;
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(this.url(path), init);
  }

  /** Monolithic single-POST upload; throws unless 201. */
  async pushBlob(repo: string, bytes: Bytes, mediaType: string = MT.ociLayer, alg: Algorithm = "sha256"): Promise<PushedBlob> {
    const d = descriptor(mediaType, bytes, alg);
    const res = await this.fetch(`/v2/${repo}/blobs/uploads/?digest=${d.digest}`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: bytes,
    });
    if (res.status !== 201) throw new Error(`push blob to ${repo}: ${res.status} ${await res.text()}`);
    return d;
  }

  /** POST a new upload session; returns its absolute Location. */
  async startUpload(repo: string): Promise<string> {
    const res = await this.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { "Content-Length": "0" } });
    if (res.status !== 202) throw new Error(`start upload in ${repo}: ${res.status} ${await res.text()}`);
    return this.url(res.headers.get("location")!);
  }

  /** PUT a manifest (object, string or bytes exactly as given); returns the response and the digest of the bytes. */
  async putManifest(
    repo: string,
    reference: string,
    manifest: unknown,
    contentType?: string,
  ): Promise<{ res: Response; bytes: Bytes; digest: string }> {
    const bytes = manifestBytes(manifest);
    const type = contentType ?? (typeof manifest === "object" && manifest && "mediaType" in manifest ? String((manifest as any).mediaType) : MT.ociManifest);
    const res = await this.fetch(`/v2/${repo}/manifests/${reference}`, {
      method: "PUT",
      headers: { "Content-Type": type },
      body: bytes,
    });
    return { res, bytes, digest: digestOf(bytes) };
  }

  /** putManifest that throws unless 201. */
  async pushManifest(repo: string, reference: string, manifest: unknown, contentType?: string): Promise<{ bytes: Bytes; digest: string }> {
    const { res, bytes, digest } = await this.putManifest(repo, reference, manifest, contentType);
    if (res.status !== 201) throw new Error(`push manifest ${repo}:${reference}: ${res.status} ${await res.text()}`);
    return { bytes, digest };
  }

  /**
   * Pushes a config and `layers` random layers to `repo` and returns the (unpushed) image manifest
   * that references them. `format` picks OCI or Docker schema 2 media types.
   */
  async makeImage(repo: string, opts: ImageOptions = {}): Promise<Image> {
    const docker = opts.format === "docker";
    const configBytes = utf8(
      JSON.stringify({
        architecture: opts.architecture ?? "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [] },
        ...(opts.labels ? { config: { Labels: opts.labels } } : {}),
        nonce: crypto.randomUUID(),
      }),
    );
    const config = await this.pushBlob(repo, configBytes, opts.configMediaType ?? (docker ? MT.dockerConfig : MT.ociConfig));
    const layers: PushedBlob[] = [];
    for (let i = 0; i < (opts.layers ?? 2); i++) {
      layers.push(await this.pushBlob(repo, randomBytes(opts.layerSize ?? 1024 + i), docker ? MT.dockerLayer : MT.ociLayer));
    }
    const manifest: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: docker ? MT.dockerManifest : MT.ociManifest,
      ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
      config: asDescriptor(config),
      layers: layers.map(asDescriptor),
      ...(opts.subject ? { subject: asDescriptor(opts.subject) } : {}),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    };
    const bytes = manifestBytes(manifest);
    return { config, layers, manifest, bytes, digest: digestOf(bytes), mediaType: manifest.mediaType as string, size: bytes.byteLength };
  }

  /** makeImage + pushManifest under `reference` (a tag, or its own digest when omitted). */
  async pushImage(repo: string, reference?: string, opts: ImageOptions = {}): Promise<Image> {
    const image = await this.makeImage(repo, opts);
    await this.pushManifest(repo, reference ?? image.digest, image.bytes, image.mediaType);
    return image;
  }
}

export interface ImageOptions {
  format?: "oci" | "docker";
  layers?: number;
  layerSize?: number;
  configMediaType?: string;
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  architecture?: string;
  /** Written to the image config's `config.Labels` (what a Dockerfile's LABEL produces). */
  labels?: Record<string, string>;
}

export interface Image {
  config: PushedBlob;
  layers: PushedBlob[];
  manifest: Record<string, unknown>;
  bytes: Bytes;
  digest: string;
  mediaType: string;
  size: number;
}

/** The descriptor of a pushed manifest (for an index or a subject field). */
export function manifestDescriptor(m: { mediaType: string; digest: string; bytes: Bytes }, extra: Record<string, unknown> = {}): Descriptor {
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength, ...extra };
}

export function manifestBytes(manifest: unknown): Bytes {
  if (manifest instanceof Uint8Array) return manifest;
  if (typeof manifest === "string") return utf8(manifest);
  return utf8(JSON.stringify(manifest));
}

/** Every /v2 answer names the API version. */
export function expectApiVersion(res: { headers: Headers }): void {
  expect(res.headers.get("docker-distribution-api-version")).toBe(API_VERSION);
}

export interface OciError {
  code: string;
  message: string;
  detail?: unknown;
}

/**
 * Asserts an OCI error answer: the status, the API version header, a JSON body
 * `{"errors":[{"code","message",…}]}` whose first code is `code`. Returns the errors.
 */
export async function expectError(res: Response, status: number, code: string): Promise<OciError[]> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status} ${code}, got ${res.status}: ${text}`);
  expectApiVersion(res);
  expect(res.headers.get("content-type") ?? "").toStartWith("application/json");
  const body = JSON.parse(text) as { errors: OciError[] };
  expect(Array.isArray(body.errors)).toBe(true);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const e of body.errors) {
    expect(typeof e.code).toBe("string");
    expect(e.code).toMatch(/^[A-Z_]+$/);
    expect(typeof e.message).toBe("string");
  }
  expect(body.errors[0]!.code).toBe(code);
  return body.errors;
}

/** Asserts status and the API version header; returns the body bytes. */
export async function expectStatus(res: Response, status: number): Promise<Bytes> {
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${new TextDecoder().decode(body)}`);
  expectApiVersion(res);
  return body;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a socket: for paths fetch() would normalise
 * (`..`, `%2e`), headers fetch() would refuse or replace (a forged Host), and for reading HEAD
 * headers exactly as sent.
 */
export async function rawRequest(base: string, method: string, target: string, headers: Record<string, string> = {}, body = ""): Promise<RawResponse> {
  const url = new URL(base);
  // A Host given by the caller replaces the real one (to test forged values).
  const ownHost = Object.keys(headers).some((k) => k.toLowerCase() === "host");
  const head = [`${method} ${target} HTTP/1.1`, ...(ownHost ? [] : [`Host: ${url.host}`]), "Connection: close"];
  for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
  if (body) head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    Bun.connect({
      hostname: url.hostname,
      port: Number(url.port),
      socket: {
        open(sock) {
          sock.write(`${head.join("\r\n")}\r\n\r\n${body}`);
        },
        data(_sock, chunk) {
          chunks.push(Buffer.from(chunk));
        },
        close() {
          resolve(Buffer.concat(chunks).toString("latin1"));
        },
        error(_sock, err) {
          reject(err);
        },
      },
    }).catch(reject);
  });
  const split = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, split).split("\r\n");
  const h = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    h.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine!.split(" ")[1]), headers: h, body: text.slice(split + 4) };
}

/** A RegistryClient that sends a registry token (and any fixed headers) with every request. */
export class BearerRegistryClient extends RegistryClient {
  constructor(
    base: string,
    private readonly token?: string,
    private readonly fixedHeaders: Record<string, string> = {},
  ) {
    super(base);
  }

  override fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.fixedHeaders)) headers.set(k, v);
    if (this.token) headers.set("Authorization", `Bearer ${this.token}`);
    return super.fetch(path, { ...init, headers });
  }
}

/** An `Authorization: Basic` value. */
export const basicAuth = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;

/**
 * GET /v2/auth as docker does: Basic credentials (or none), the server's host as `service`, one
 * `scope` parameter per scope given.
 */
export function registryAuth(base: string, creds: readonly [string, string] | undefined, ...scopes: string[]): Promise<Response> {
  const q = new URLSearchParams({ service: new URL(base).host });
  for (const scope of scopes) q.append("scope", scope);
  return fetch(`${base}/v2/auth?${q}`, { headers: creds ? { Authorization: basicAuth(...creds) } : {} });
}

/** The registry token /v2/auth issues for these credentials; fails the test unless it answers 200. */
export async function registryToken(base: string, creds: readonly [string, string] | undefined, ...scopes: string[]): Promise<string> {
  const res = await registryAuth(base, creds, ...scopes);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/v2/auth answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { token: string }).token;
}

/** Only the status of a /v2/auth call (whether these credentials log in). */
export async function registryAuthStatus(base: string, creds: readonly [string, string], ...scopes: string[]): Promise<number> {
  const res = await registryAuth(base, creds, ...scopes);
  await res.arrayBuffer();
  return res.status;
}
