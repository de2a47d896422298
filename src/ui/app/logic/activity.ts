// Usage log aggregates (one per kind and day, from /aggregatelogs) as the chart shows them.
import type { Aggregate } from "../api/types";

export interface Day {
  day: string;
  count: number;
}

/** Aggregates (one per kind and day) summed per day, oldest first. */
export function perDay(aggregated: Aggregate[]): Day[] {
  const sums = new Map<string, number>();
  for (const a of aggregated) {
    const d = new Date(a.datetime);
    const day = Number.isNaN(d.getTime()) ? a.datetime : d.toISOString().slice(0, 10);
    sums.set(day, (sums.get(day) ?? 0) + a.count);
  }
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, count]) => ({ day, count }));
}
