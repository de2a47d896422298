// Quay's rules for names and fields that several API v1 families accept.

/** Namespace, team and robot short names (reference §5.5). */
const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export function isValidName(name: string): boolean {
  return name.length >= 2 && name.length <= 255 && NAME.test(name);
}

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Quay's TAG_EXPIRATION_OPTIONS (0s, 1d, 1w, 2w, 4w) in seconds: how long ended tags stay restorable. */
export const TAG_EXPIRATION_OPTIONS = [0, 86400, 604800, 1209600, 2419200];
