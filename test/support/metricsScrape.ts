// Reading Prometheus text exposition format in tests: series (name with its labels, as printed)
// to value.
import { expect } from "bun:test";

export type Series = Map<string, number>;

/** Parses the text format: `name{labels} value` lines, comments skipped. */
export function parseExposition(text: string): Series {
  const out: Series = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** GET a /metrics URL with the bearer token; fails the test unless it answers 200 in text format. */
export async function scrape(url: string, token?: string): Promise<Series> {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parseExposition(text);
}

/** The sum over every series of a name whose labels include these. */
export function total(series: Series, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, v] of series) {
    const brace = key.indexOf("{");
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    const text = brace < 0 ? "" : key.slice(brace + 1, -1);
    if (Object.entries(labels).every(([k, want]) => text.split(",").includes(`${k}="${want}"`))) sum += v;
  }
  return sum;
}
