import { randomAlnum } from "../secrets";

// An app-specific token code is 120 random characters. Its first 16 find the row; the whole
// code's sha256 is what is stored (the code has ~600 bits of entropy, so a fast hash is enough).
const CODE_LENGTH = 120;
const LOOKUP_LENGTH = 16;

export function newAppTokenCode(): string {
  return randomAlnum(CODE_LENGTH, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

export function appTokenLookup(code: string): string {
  return code.slice(0, LOOKUP_LENGTH);
}

export function hashAppTokenCode(code: string): string {
  return new Bun.CryptoHasher("sha256").update(code).digest("hex");
}
