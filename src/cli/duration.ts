// Durations on the command line, as Quay writes them in its config (`30d`, `2w`, `12h`):
// a whole number and one unit. Pure; answers milliseconds or undefined.

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30d` → 2 592 000 000; undefined for anything else (no unit, zero, fractions, overflow). */
export function parseDuration(text: string): number | undefined {
  const match = /^([0-9]{1,12})([smhdw])$/.exec(typeof text === "string" ? text.trim() : "");
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
