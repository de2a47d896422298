// Durations on the command line, as Quay writes them in its config (`30d`, `2w`, `12h`): the
// shared syntax (src/oci/duration.ts), surrounding blanks ignored, at most 12 digits.
import { parseDuration as parseQuayDuration } from "../oci/duration";

/** `30d` → 2 592 000 000; undefined for anything else (no unit, zero, fractions, overflow). */
export function parseDuration(text: string): number | undefined {
  return typeof text === "string" ? parseQuayDuration(text.trim(), 12) : undefined;
}
