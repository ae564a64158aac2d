/**
 * Pieces of the Prometheus text exposition format (version 0.0.4): name checks, escaping and
 * number rendering. Pure helpers used by `registry.ts`.
 */

/** Content-Type of a `/metrics` answer in the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws unless `name` is a valid metric name. */
export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
}

/** Throws unless `name` is a valid, non-reserved label name. */
export function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith("__")) {
    throw new Error(`invalid label name '${name}'`);
  }
}

/** Escapes a HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Renders a sample value (`+Inf`, `-Inf`, `NaN` spelt the Prometheus way). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Renders `{a="x",b="y"}` (empty string for no labels), names in the given order. */
export function formatLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i])}"`);
  return `{${parts.join(",")}}`;
}
