// Quay's duration syntax (`30m`, `12h`, `2w`): a whole number and one unit of s, m, h, d or w.
// Labels (`quay.expires-after`) and the command line (`--expires-in`) both read it. Pure.

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Milliseconds, or undefined for anything else. Zero, values beyond a safe integer, and numbers
 * of more than `maxDigits` digits are refused.
 */
export function parseDuration(text: string, maxDigits = 15): number | undefined {
  const m = /^([0-9]+)([smhdw])$/.exec(text);
  if (!m || m[1]!.length > maxDigits) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
