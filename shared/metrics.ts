// A small Prometheus registry: counters, gauges and histograms rendered in the text format.
type Labels = Record<string, string>;

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
const render = (labels: Labels) => {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
};

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: "counter" | "gauge" | "histogram") {}
  abstract lines(): string[];
  text(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join("\n");
  }
}

export class Counter extends Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const entry = this.values.get(k) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(k, entry);
  }
  lines(): string[] {
    return [...this.values.values()].map((e) => `${this.name}${render(e.labels)} ${e.value}`);
  }
}

/** A gauge whose values are collected at scrape time. */
export class Gauge extends Metric {
  constructor(name: string, help: string, private readonly collect: () => Array<{ labels?: Labels; value: number }>, type: "gauge" | "counter" = "gauge") {
    super(name, help, type);
  }
  lines(): string[] {
    return this.collect().map((s) => `${this.name}${render(s.labels ?? {})} ${s.value}`);
  }
}

export class Histogram extends Metric {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, private readonly buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]) {
    super(name, help, "histogram");
  }
  observe(labels: Labels, value: number): void {
    const k = key(labels);
    const s = this.series.get(k) ?? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((b, i) => value <= b && s.counts[i]++);
    s.sum += value;
    s.count++;
    this.series.set(k, s);
  }
  lines(): string[] {
    return [...this.series.values()].flatMap((s) => [
      ...this.buckets.map((b, i) => `${this.name}_bucket${render({ ...s.labels, le: String(b) })} ${s.counts[i]}`),
      `${this.name}_bucket${render({ ...s.labels, le: "+Inf" })} ${s.count}`,
      `${this.name}_sum${render(s.labels)} ${s.sum}`,
      `${this.name}_count${render(s.labels)} ${s.count}`,
    ]);
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  add<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }
  text(): string {
    return this.metrics.map((m) => m.text()).join("\n") + "\n";
  }
}
