// Metrics kept in typed arrays (the per-request ones) shown to prom-client's Registry, which
// writes the text exposition format. prom-client's own Counter and Histogram hash their label
// object on every call (~0.4–0.65 µs a request measured here, a few per cent of a manifest GET);
// these cost an array increment and are read only when /metrics is scraped.
import type { Registry } from "prom-client";

type Labels = Record<string, string | number>;

export interface ExportedValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** The shape prom-client's Registry reads from a metric (`get()` and its names). */
interface RegistryMetric {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: "sum" }>;
  reset(): void;
}

/** A metric whose values are read from elsewhere at scrape time. */
export function registerComputed(
  registry: Registry,
  spec: { name: string; help: string; type: "counter" | "gauge" | "histogram" },
  values: () => ExportedValue[] | Promise<ExportedValue[]>,
): void {
  const metric: RegistryMetric = {
    ...spec,
    aggregator: "sum",
    async get() {
      return { name: spec.name, help: spec.help, type: spec.type, values: await values(), aggregator: "sum" };
    },
    reset() {},
  };
  registry.registerMetric(metric as never);
}

/** A histogram per label set (a small fixed number of them), in seconds. */
export class ArrayHistogram {
  /** Per series: a count per bucket (not cumulative), then the overflow (+Inf). */
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly stride: number;

  constructor(
    readonly buckets: readonly number[],
    readonly series: number,
  ) {
    this.stride = buckets.length + 1;
    this.counts = new Float64Array(series * this.stride);
    this.sums = new Float64Array(series);
  }

  observe(series: number, seconds: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[series * this.stride + i]!++;
    this.sums[series]! += seconds;
  }

  /** prom-client's histogram values for one series: cumulative buckets, sum, count. */
  values(name: string, series: number, labels: Labels): ExportedValue[] {
    const out: ExportedValue[] = [];
    let cumulative = 0;
    const base = series * this.stride;
    for (let i = 0; i < this.stride; i++) {
      cumulative += this.counts[base + i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: i < this.buckets.length ? this.buckets[i]! : "+Inf" }, value: cumulative });
    }
    out.push({ metricName: `${name}_sum`, labels, value: this.sums[series]! });
    out.push({ metricName: `${name}_count`, labels, value: cumulative });
    return out;
  }
}
