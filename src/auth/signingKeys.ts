// The keys that sign and verify /v2/auth tokens.
//
// Layout of `dir` (0700):
//   <kid>.private.jwk   the current signing key (0600). kid = RFC 7638 SHA-256 thumbprint.
//   <kid>.public.jwk    a retired key with `retiredAt` (ms): verification only, until
//                       retiredAt + the longest token lifetime, then pruneExpired() deletes it.
// A configured PEM private key replaces the generated one (it is never written or rotated here).
//
// rotate() writes the new private key first, then the old key's retired public file, then deletes
// the old private file. A crash in between leaves two private files (or one with a retired twin);
// load finishes the job, so a restart never loses the key that signed live tokens.

import { createPrivateKey } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

export type SigningAlg = "RS256" | "ES256";
export const SIGNING_ALGS: readonly SigningAlg[] = ["RS256", "ES256"];

/** Default grace for retired keys: token lifetime 3600 s + 60 s allowed excess + 30 s leeway. */
export const DEFAULT_KEY_GRACE_MS = (3600 + 60 + 30) * 1000;

export interface VerificationKey {
  kid: string;
  alg: SigningAlg;
  publicKey: CryptoKey;
  retiredAt?: number;
}

interface CurrentKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

// Everything a JWK may carry that must never land in a public file.
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth"];

export class SigningKeyRing {
  private constructor(
    private readonly dir: string,
    private cur: CurrentKey,
    private readonly verifiers: Map<string, VerificationKey>,
    private readonly fromFile: boolean,
  ) {}

  get current(): { kid: string; alg: SigningAlg; privateKey: CryptoKey } {
    const { kid, alg, privateKey } = this.cur;
    return { kid, alg, privateKey };
  }

  static async loadOrCreate(
    dir: string,
    opts: { privateKeyFile?: string; alg?: SigningAlg } = {},
  ): Promise<SigningKeyRing> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const now = Date.now();
    const verifiers = new Map<string, VerificationKey>();
    const privates: { kid: string; jwk: JWK & { createdAt?: number } }[] = [];

    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      if (/\.jwk\.\d+\.\d+\.tmp$/.test(name)) await rm(path, { force: true }); // a write cut short
      const m = /^(.+)\.(private|public)\.jwk$/.exec(name);
      if (!m) continue;
      const jwk = JSON.parse(await readFile(path, "utf8")) as JWK & { retiredAt?: unknown; createdAt?: number };
      const kid = await calculateJwkThumbprint(publicPart(jwk), "sha256");
      if (kid !== m[1]) throw new Error(`signing key ${path}: file name does not match its thumbprint ${kid}`);
      if (m[2] === "private") {
        if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
        privates.push({ kid, jwk });
      } else {
        if (typeof jwk.retiredAt !== "number") throw new Error(`signing key ${path}: missing numeric retiredAt`);
        verifiers.set(kid, { kid, alg: algOf(jwk, path), publicKey: await importPublic(jwk, path), retiredAt: jwk.retiredAt });
      }
    }
    // A private key whose retired public twin exists was mid-rotation: finish deleting it.
    const live = privates.filter((p) => !verifiers.has(p.kid));
    for (const p of privates) if (verifiers.has(p.kid)) await rm(join(dir, `${p.kid}.private.jwk`), { force: true });

    let cur: CurrentKey;
    if (opts.privateKeyFile) {
      const pem = await readFile(opts.privateKeyFile, "utf8");
      let jwk: JWK;
      try {
        jwk = createPrivateKey(pem).export({ format: "jwk" }) as JWK;
      } catch (e) {
        throw new Error(`signing key ${opts.privateKeyFile}: not a PEM private key (${(e as Error).message})`);
      }
      cur = await currentFromJwk(jwk, opts.privateKeyFile, opts.alg);
      // Switching to a configured key: earlier generated keys still verify the tokens they signed.
      for (const old of live) if (old.kid !== cur.kid) await retire(dir, verifiers, old.kid, publicPart(old.jwk), algOf(old.jwk, old.kid), now);
    } else if (live.length > 0) {
      // Newest wins; any other survivor of an interrupted rotation is retired now.
      live.sort((a, b) => (b.jwk.createdAt ?? 0) - (a.jwk.createdAt ?? 0));
      cur = await currentFromJwk(live[0]!.jwk, join(dir, `${live[0]!.kid}.private.jwk`));
      for (const old of live.slice(1)) await retire(dir, verifiers, old.kid, publicPart(old.jwk), algOf(old.jwk, old.kid), now);
    } else {
      cur = await generate(dir, opts.alg ?? "RS256");
    }
    const ring = new SigningKeyRing(dir, cur, verifiers, Boolean(opts.privateKeyFile));
    verifiers.set(cur.kid, { kid: cur.kid, alg: cur.alg, publicKey: await importPublic(cur.publicJwk, cur.kid) });
    return ring;
  }

  /** Retire the current key (kept for verification) and start signing with a fresh one. */
  async rotate(): Promise<void> {
    if (this.fromFile) throw new Error("the signing key comes from a configured file: replace that file to rotate");
    const old = this.cur;
    const next = await generate(this.dir, old.alg);
    await retire(this.dir, this.verifiers, old.kid, old.publicJwk, old.alg, Date.now());
    this.cur = next;
    this.verifiers.set(next.kid, { kid: next.kid, alg: next.alg, publicKey: await importPublic(next.publicJwk, next.kid) });
  }

  /** The key (and its pinned algorithm) for a token's kid, if it may still verify at `nowMs`. */
  verificationKey(kid: string, nowMs: number, maxTokenLifetimeMs: number): VerificationKey | undefined {
    const k = this.verifiers.get(kid);
    if (!k) return undefined;
    if (k.retiredAt !== undefined && nowMs > k.retiredAt + maxTokenLifetimeMs) return undefined;
    return k;
  }

  publicKeyFor(kid: string, nowMs: number, maxTokenLifetimeMs: number): CryptoKey | undefined {
    return this.verificationKey(kid, nowMs, maxTokenLifetimeMs)?.publicKey;
  }

  /** Public JWKs of every key still held (for a /keys style endpoint or other nodes). */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    const keys: JWK[] = [];
    for (const k of this.verifiers.values()) keys.push({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: "sig" });
    return { keys };
  }

  /** Forget retired keys past their grace and delete their files. Returns the pruned kids. */
  async pruneExpired(nowMs = Date.now(), maxTokenLifetimeMs = DEFAULT_KEY_GRACE_MS): Promise<string[]> {
    const pruned: string[] = [];
    for (const k of [...this.verifiers.values()]) {
      if (k.retiredAt === undefined || nowMs <= k.retiredAt + maxTokenLifetimeMs) continue;
      await rm(join(this.dir, `${k.kid}.public.jwk`), { force: true });
      this.verifiers.delete(k.kid);
      pruned.push(k.kid);
    }
    return pruned;
  }
}

function publicPart(jwk: JWK): JWK {
  const pub: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(jwk)) if (!PRIVATE_MEMBERS.includes(k) && k !== "createdAt" && k !== "retiredAt") pub[k] = v;
  delete pub.key_ops;
  delete pub.ext;
  return pub as JWK;
}

function algOf(jwk: JWK, where: string): SigningAlg {
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  throw new Error(`signing key ${where}: unsupported key type (need RSA or EC P-256)`);
}

async function importPublic(jwk: JWK, where: string): Promise<CryptoKey> {
  const key = await importJWK(publicPart(jwk), algOf(jwk, where), { extractable: true });
  return key as CryptoKey;
}

async function currentFromJwk(jwk: JWK, where: string, wantAlg?: SigningAlg): Promise<CurrentKey> {
  const alg = algOf(jwk, where);
  if (wantAlg && wantAlg !== alg) throw new Error(`signing key ${where}: is ${alg}, configured ${wantAlg}`);
  if (alg === "RS256" && Buffer.from(jwk.n ?? "", "base64url").length < 256) {
    throw new Error(`signing key ${where}: RSA keys must be at least 2048 bits`);
  }
  const publicJwk = publicPart(jwk);
  const kid = await calculateJwkThumbprint(publicJwk, "sha256");
  // Non-extractable in memory: nothing in the process can read the private key back out.
  const privateKey = (await importJWK({ ...publicPart(jwk), ...pick(jwk, PRIVATE_MEMBERS) }, alg, { extractable: false })) as CryptoKey;
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, alg } };
}

async function generate(dir: string, alg: SigningAlg): Promise<CurrentKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart(jwk), "sha256");
  await writeAtomic(join(dir, `${kid}.private.jwk`), { ...publicPart(jwk), ...pick(jwk, PRIVATE_MEMBERS), kid, alg, createdAt: Date.now() });
  return currentFromJwk(jwk, kid);
}

async function retire(dir: string, verifiers: Map<string, VerificationKey>, kid: string, publicJwk: JWK, alg: SigningAlg, at: number) {
  await writeAtomic(join(dir, `${kid}.public.jwk`), { ...publicPart(publicJwk), kid, alg, retiredAt: at });
  await rm(join(dir, `${kid}.private.jwk`), { force: true });
  verifiers.set(kid, { kid, alg, publicKey: await importPublic(publicJwk, kid), retiredAt: at });
}

function pick(obj: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((obj as Record<string, unknown>)[k] !== undefined) out[k] = (obj as Record<string, unknown>)[k];
  return out;
}

// Temp file created 0600 (never world-readable, even briefly), fsynced, renamed into place.
async function writeAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(JSON.stringify(value) + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
