import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomToken } from "../secrets";

// Secrets that sign the session cookie, newest first. Generated on first start into the data
// directory; `rotate` puts a new one in front and keeps the previous ones valid for reading.
const FILE = "cookie-secrets.json";
const KEEP = 3;

export function loadCookieSecrets(keysDir: string): string[] {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const path = join(keysDir, FILE);
  if (existsSync(path)) {
    const parsed = JSON.parse(readFileSync(path, "utf8"));
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((s) => typeof s === "string" && s.length >= 32)) return parsed;
    throw new Error(`${path}: expected a JSON list of secrets`);
  }
  return writeSecrets(path, [randomToken(48)]);
}

export function rotateCookieSecrets(keysDir: string): string[] {
  return writeSecrets(join(keysDir, FILE), [randomToken(48), ...loadCookieSecrets(keysDir)].slice(0, KEEP));
}

function writeSecrets(path: string, secrets: string[]): string[] {
  writeFileSync(`${path}.tmp`, JSON.stringify(secrets), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return secrets;
}
