// Secrets the database must give back (robot tokens, shown again to their owners as Quay does)
// are stored encrypted, as Quay's EncryptedCharField does with its DATABASE_SECRET_KEY:
// AES-256-GCM with a random nonce, stored as "v1$$<base64url(nonce | ciphertext | tag)>". A
// login never decrypts: it compares an HMAC of the presented secret with a digest column.
//
// The secret is 32 random bytes in <data>/keys/database-secret.key (0600), made on first use.
// Back it up with berth.db: without it, encrypted values cannot be read back or checked.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PREFIX = "v1$$";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const DATABASE_SECRET_FILE = "database-secret.key";
const KEY_FILE = DATABASE_SECRET_FILE;

/** Encrypts, decrypts and digests one kind of field (`purpose` keeps kinds apart). */
export class FieldCipher {
  private readonly encryptionKey: Buffer;
  private readonly digestKey: Buffer;

  constructor(
    secret: Uint8Array,
    private readonly purpose: string,
  ) {
    if (secret.byteLength !== 32) throw new Error("the database secret must be 32 bytes");
    // Separate keys for encryption and lookup digests, both bound to the purpose.
    this.encryptionKey = Buffer.from(hkdfSync("sha256", secret, "", `berth ${purpose} encryption`, 32));
    this.digestKey = Buffer.from(hkdfSync("sha256", secret, "", `berth ${purpose} digest`, 32));
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plain: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.encryptionKey, nonce);
    cipher.setAAD(Buffer.from(this.purpose));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** The plaintext, or undefined when the value is not ours (another key, tampered, not sealed). */
  open(sealed: string): string | undefined {
    if (!FieldCipher.isSealed(sealed)) return undefined;
    const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
    if (raw.byteLength < NONCE_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.encryptionKey, raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(this.purpose));
      decipher.setAuthTag(raw.subarray(raw.byteLength - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.byteLength - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }

  /** The lookup digest of a secret (hex HMAC-SHA256): equal secrets, equal digests. */
  digest(plain: string): string {
    return createHmac("sha256", this.digestKey).update(plain, "utf8").digest("hex");
  }
}

/** Reads <keysDir>/database-secret.key, making it (0600) on first use; a concurrent maker's key wins. */
export function loadDatabaseSecret(keysDir: string): Uint8Array {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const path = join(keysDir, KEY_FILE);
  if (!existsSync(path)) {
    // Written whole under another name, then linked into place: a reader never sees half a key,
    // and of two processes starting together the first link wins.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(tmp, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    try {
      linkSync(tmp, path);
    } catch (e: any) {
      if (e?.code !== "EEXIST") throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const secret = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (secret.byteLength !== 32) throw new Error(`${path}: expected 32 bytes of base64`);
  return secret;
}
