/**
 * A set of metrics rendered together as one `/metrics` page (Prometheus text format 0.0.4).
 *
 * ```ts
 * const m = new MetricsRegistry();
 * const opened = m.counter({ name: "re6st_tunnels_opened_total", help: "…", labels: ["proto"] });
 * opened.inc({ proto: "tcp" });
 * new Response(m.render(), { headers: { "content-type": METRICS_CONTENT_TYPE } });
 * ```
 */
import { logger } from "../log.ts";
import {
  Counter,
  Gauge,
  Histogram,
  type HistogramOptions,
  type Metric,
  type MetricOptions,
} from "./metrics.ts";

export { METRICS_CONTENT_TYPE } from "./text_format.ts";

const log = logger("metrics");

/** Holds metrics by name and renders them all. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  private add<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric '${m.name}' is already registered`);
    this.metrics.set(m.name, m);
    return m;
  }

  /** Declares a counter. */
  counter(o: MetricOptions): Counter {
    return this.add(new Counter(o));
  }

  /** Declares a gauge. */
  gauge(o: MetricOptions): Gauge {
    return this.add(new Gauge(o));
  }

  /** Declares a histogram. */
  histogram(o: HistogramOptions): Histogram {
    return this.add(new Histogram(o));
  }

  /**
   * The text exposition of every metric, in declaration order, ending with a newline.
   * A failing `collect` hook is logged and the metric keeps its previous values.
   */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) {
      try {
        m.collect?.();
      } catch (e) {
        log.warn(`collecting ${m.name} failed: ${e instanceof Error ? e.message : e}`);
      }
      lines.push(...m.render());
    }
    return lines.length ? lines.join("\n") + "\n" : "";
  }
}
