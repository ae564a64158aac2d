/**
 * Prometheus metric kinds — counter, gauge, histogram — each a family of labelled series that
 * renders itself in the text exposition format. Create them through `MetricsRegistry`.
 */
import {
  checkLabelName,
  checkMetricName,
  escapeHelp,
  formatLabels,
  formatValue,
} from "./text_format.ts";

/** Label values of one series, keyed by label name. */
export type Labels = Readonly<Record<string, string>>;

/** What every metric is declared with. */
export interface MetricOptions {
  /** Metric name, e.g. `re6st_tunnels`. */
  name: string;
  /** One-line description (HELP). */
  help: string;
  /** Label names, in rendering order. */
  labels?: readonly string[];
  /** Called right before each render, to refresh values computed on demand. */
  collect?: () => void;
}

/** Shared part: name, help, label checking and the series store. */
abstract class Family<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly collect?: () => void;
  protected readonly series = new Map<string, { values: string[]; state: S }>();
  abstract readonly type: string;

  constructor(o: MetricOptions, reserved: readonly string[] = []) {
    checkMetricName(o.name);
    this.labelNames = o.labels ?? [];
    for (const l of this.labelNames) {
      checkLabelName(l);
      if (reserved.includes(l)) throw new Error(`label name '${l}' is reserved in ${o.name}`);
    }
    if (new Set(this.labelNames).size !== this.labelNames.length) {
      throw new Error(`duplicate label name in ${o.name}`);
    }
    this.name = o.name;
    this.help = o.help;
    this.collect = o.collect;
  }

  protected abstract initial(): S;

  /** The state of the series with these labels (created on first use). */
  protected state(labels: Labels): S {
    const keys = Object.keys(labels);
    if (keys.length !== this.labelNames.length || keys.some((k) => !this.labelNames.includes(k))) {
      throw new Error(
        `${this.name}: labels {${keys.join(",")}} do not match [${this.labelNames.join(",")}]`,
      );
    }
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (typeof v !== "string") throw new Error(`${this.name}: label ${n} must be a string`);
      return v;
    });
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  /** Drops every series (e.g. before a `collect` re-fills a gauge). */
  reset(): void {
    this.series.clear();
  }

  protected abstract sampleLines(values: string[], state: S): string[];

  /** HELP, TYPE and sample lines. An unlabelled metric always shows a sample. */
  render(): string[] {
    if (this.labelNames.length === 0 && this.series.size === 0) this.state({});
    const lines = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    const keys = [...this.series.keys()].sort();
    for (const k of keys) {
      const { values, state } = this.series.get(k)!;
      lines.push(...this.sampleLines(values, state));
    }
    return lines;
  }
}

/** A value that only goes up (resets only when the process restarts). */
export class Counter extends Family<{ v: number }> {
  readonly type = "counter";
  protected initial() {
    return { v: 0 };
  }
  /** Adds `by` (default 1, must be ≥ 0). */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: counter increment must be >= 0, got ${by}`);
    this.state(labels).v += by;
  }
  /** Current value of one series. */
  get(labels: Labels = {}): number {
    return this.state(labels).v;
  }
  protected sampleLines(values: string[], s: { v: number }): string[] {
    return [`${this.name}${formatLabels(this.labelNames, values)} ${formatValue(s.v)}`];
  }
}

/** A value that goes up and down. */
export class Gauge extends Family<{ v: number }> {
  readonly type = "gauge";
  protected initial() {
    return { v: 0 };
  }
  /** Sets the value. */
  set(labels: Labels, v: number): void {
    this.state(labels).v = v;
  }
  /** Adds `by` (may be negative). */
  inc(labels: Labels = {}, by = 1): void {
    this.state(labels).v += by;
  }
  /** Current value of one series. */
  get(labels: Labels = {}): number {
    return this.state(labels).v;
  }
  protected sampleLines(values: string[], s: { v: number }): string[] {
    return [`${this.name}${formatLabels(this.labelNames, values)} ${formatValue(s.v)}`];
  }
}

/** Histogram options: upper bounds of the buckets (strictly increasing, finite). */
export interface HistogramOptions extends MetricOptions {
  buckets: readonly number[];
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative `le` buckets, with `_sum` and `_count`. */
export class Histogram extends Family<HistogramState> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(o: HistogramOptions) {
    super(o, ["le"]);
    const b = o.buckets;
    if (b.length === 0) throw new Error(`${o.name}: at least one bucket is needed`);
    b.forEach((x, i) => {
      if (!Number.isFinite(x) || (i > 0 && x <= b[i - 1])) {
        throw new Error(`${o.name}: buckets must be finite and strictly increasing`);
      }
    });
    this.buckets = [...b];
  }
  protected initial(): HistogramState {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  /** Records one observation (NaN is ignored). */
  observe(labels: Labels, v: number): void {
    if (Number.isNaN(v)) return;
    const s = this.state(labels);
    this.buckets.forEach((le, i) => {
      if (v <= le) s.counts[i]++;
    });
    s.sum += v;
    s.count++;
  }
  protected sampleLines(values: string[], s: HistogramState): string[] {
    const names = [...this.labelNames, "le"];
    const bucket = (le: string, n: number) =>
      `${this.name}_bucket${formatLabels(names, [...values, le])} ${n}`;
    const labels = formatLabels(this.labelNames, values);
    return [
      ...this.buckets.map((le, i) => bucket(formatValue(le), s.counts[i])),
      bucket("+Inf", s.count),
      `${this.name}_sum${labels} ${formatValue(s.sum)}`,
      `${this.name}_count${labels} ${s.count}`,
    ];
  }
}

/** Any metric kind. */
export type Metric = Counter | Gauge | Histogram;
