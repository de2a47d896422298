// The time machine windows a namespace may choose, as /config lists them.
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Quay's TAG_EXPIRATION_OPTIONS as /config names them ("0s", "1d", "2w") in seconds. */
export function windowSeconds(options: string[]): number[] {
  return options.flatMap((o) => {
    const m = /^(\d+)([smhdw])$/.exec(o);
    return m ? [Number(m[1]) * UNIT_SECONDS[m[2]!]!] : [];
  });
}
