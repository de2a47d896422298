// Manifest labels as Quay has them (reference §2.7): which keys and media types API v1 accepts,
// which value a label gets by default, and the labels with a meaning of their own
// (`quay.expires-after`, `quay.immutable`). Pure: no I/O.

/** Key prefixes kept for the image tooling and for Quay itself; API v1 refuses them. */
import { parseDuration } from "./duration.ts";
export const RESERVED_LABEL_PREFIXES: readonly string[] = [
  "com.docker.",
  "io.docker.",
  "org.dockerproject.",
  "org.opencontainers.",
  "io.cncf.",
  "io.kubernetes.",
  "io.k8s.",
  "io.quay",
  "com.coreos",
  "com.tectonic",
  "internal",
  "quay",
];

/** Lower-case words joined by single `.` or `-`, starting and ending with a letter or digit. */
export const LABEL_KEY_PATTERN = /^[a-z0-9](?:(?:[a-z0-9]|[-.](?![.-]))*[a-z0-9])?$/;
export const LABEL_KEY_MAX_LENGTH = 255;

export const LABEL_MEDIA_TYPES = ["text/plain", "application/json"] as const;
export type LabelMediaType = (typeof LABEL_MEDIA_TYPES)[number];

/** Who set a label: the image itself at push time, a user over API v1, or Berth. */
export type LabelSourceType = "manifest" | "api" | "internal";

export const LABEL_EXPIRES_AFTER = "quay.expires-after";
export const LABEL_IMMUTABLE = "quay.immutable";

export function hasReservedPrefix(key: string): boolean {
  return RESERVED_LABEL_PREFIXES.some((prefix) => key.startsWith(prefix));
}

export function isValidLabelKey(key: string): boolean {
  return key.length > 0 && key.length <= LABEL_KEY_MAX_LENGTH && LABEL_KEY_PATTERN.test(key);
}

/** Quay's guess for labels without a media type: JSON when the value is an object or array that parses. */
export function inferLabelMediaType(value: string): LabelMediaType {
  const looksJson = (value.startsWith("{") && value.endsWith("}")) || (value.startsWith("[") && value.endsWith("]"));
  return looksJson && parsesAsJson(value) ? "application/json" : "text/plain";
}

export type ApiLabelCheck =
  | { ok: true; mediaType: LabelMediaType }
  | { ok: false; reason: "reservedPrefix" | "invalidKey" | "invalidMediaType" | "invalidJson" };

/**
 * Whether API v1 may add the label, in Quay's order of checks (a reserved prefix is reported
 * before a malformed key). A missing media type is inferred from the value.
 */
export function checkApiLabel(key: string, value: string, mediaType: string | null | undefined): ApiLabelCheck {
  if (hasReservedPrefix(key)) return { ok: false, reason: "reservedPrefix" };
  if (!isValidLabelKey(key)) return { ok: false, reason: "invalidKey" };
  if (mediaType === null || mediaType === undefined) return { ok: true, mediaType: inferLabelMediaType(value) };
  if (!(LABEL_MEDIA_TYPES as readonly string[]).includes(mediaType)) return { ok: false, reason: "invalidMediaType" };
  if (mediaType === "application/json" && !parsesAsJson(value)) return { ok: false, reason: "invalidJson" };
  return { ok: true, mediaType: mediaType as LabelMediaType };
}

/**
 * Quay's duration syntax for `quay.expires-after`: a whole number and one unit of s, m, h, d
 * or w (`30m`, `12h`, `2w`). Milliseconds, or undefined for anything else (Quay logs and
 * ignores such labels). Zero and absurdly large values are refused too.
 */
export function parseLabelDuration(value: string): number | undefined {
  return parseDuration(value);
}

/** `quay.immutable` counts only when it says true (any case, surrounding blanks ignored). */
export function isImmutableLabelValue(value: string): boolean {
  return value.trim().toLowerCase() === "true";
}

/** What the special labels among `labels` ask of the tags pointing at the manifest. */
export interface LabelEffects {
  /** Tags expire this long after they started. */
  expiresAfterMs?: number;
  /** Tags become immutable. */
  immutable: boolean;
}

export function labelEffects(labels: Record<string, string>): LabelEffects {
  const expiry = labels[LABEL_EXPIRES_AFTER];
  const expiresAfterMs = expiry === undefined ? undefined : parseLabelDuration(expiry);
  const flag = labels[LABEL_IMMUTABLE];
  return {
    ...(expiresAfterMs !== undefined ? { expiresAfterMs } : {}),
    immutable: flag !== undefined && isImmutableLabelValue(flag),
  };
}

function parsesAsJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}
