// Quota sizes as Quay's API writes and reads them (it uses Python's bitmath 1.3). Pure.
//
// Reading (`limit` in a request): digits, an optional space, an optional unit. One letter or a
// two-letter "…B" unit is decimal (K = KB = 1000), an "…i" or "…iB" unit binary (Ki = KiB = 1024),
// no unit means bytes. Quay's pattern allows a bare "B", which its parser then rejects; Berth
// reads it as bytes.
// Writing (`limit` in a view): the largest binary unit the size reaches, one decimal, bitmath's
// "{value:.1f} {unit}" (so 1 GiB is "1.0 GiB", 500 bytes "500.0 Byte").

/** Quay's JSON-schema pattern for `limit`. */
export const QUOTA_LIMIT_PATTERN =
  "^(\\d+\\s?(B|KiB|MiB|GiB|TiB|PiB|EiB|ZiB|YiB|Ki|Mi|Gi|Ti|Pi|Ei|Zi|Yi|KB|MB|GB|TB|PB|EB|ZB|YB|K|M|G|T|P|E|Z|Y)?)$";

const PREFIXES = ["K", "M", "G", "T", "P", "E", "Z", "Y"];
const BINARY_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/** The bytes `limit` names, or undefined when it is not a size Quay accepts. May exceed safe integers. */
export function parseQuotaSize(limit: string): number | undefined {
  const m = new RegExp(QUOTA_LIMIT_PATTERN).exec(limit);
  if (!m) return undefined;
  const value = Number.parseInt(limit, 10);
  const unit = m[2];
  if (!unit || unit === "B") return value;
  const power = PREFIXES.indexOf(unit[0]!) + 1;
  const binary = unit[1] === "i";
  return value * (binary ? 1024 : 1000) ** power;
}

/** Python's "{:.1f}": the nearest tenth, an exact tie to the even one. */
function oneDecimal(value: number): string {
  const scaled = value * 10;
  const lower = Math.floor(scaled);
  const tenths = scaled - lower === 0.5 ? (lower % 2 === 0 ? lower : lower + 1) : Math.round(scaled);
  return (tenths / 10).toFixed(1);
}

/** bitmath's Byte(bytes).best_prefix().format("{value:.1f} {unit}"). */
export function formatQuotaSize(bytes: number): string {
  if (bytes < 1) return `${oneDecimal(bytes * 8)} Bit`;
  const index = Math.trunc(Math.log(bytes) / Math.log(1024));
  if (index === 0) return `${oneDecimal(bytes)} Byte`;
  const step = Math.min(index, BINARY_UNITS.length);
  return `${oneDecimal(bytes / 1024 ** step)} ${BINARY_UNITS[step - 1]}`;
}
