/** Parses a Prometheus text page with the reference parser (python3-prometheus-client). */
import assert from "node:assert/strict";
import { tryRun } from "../../lib/netns/exec.ts";

/** One sample as prometheus_client reads it, with its family's name, type and help text. */
export interface ParsedSample {
  family: string;
  type: string;
  help: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a page, in page order, as parsed by prometheus_client. */
export async function parseMetricSamples(body: string): Promise<ParsedSample[]> {
  const script = [
    "import sys, json",
    "from prometheus_client.parser import text_string_to_metric_families as p",
    "out = []",
    "for f in p(sys.stdin.read()):",
    "  for s in f.samples:",
    "    out.append({'family': f.name, 'type': f.type, 'help': f.documentation,",
    "                'name': s.name, 'labels': s.labels, 'value': s.value})",
    "print(json.dumps(out))",
  ].join("\n");
  const out = await tryRun(["/usr/bin/python3", "-c", script], { stdin: body });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/** Samples of a page as parsed by prometheus_client: `name{k=v,…}` (labels sorted) → value. */
export async function parseMetrics(body: string): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const s of await parseMetricSamples(body)) {
    const labels = Object.keys(s.labels).sort().map((k) => `${k}=${s.labels[k]}`).join(",");
    samples.set(s.name + (labels ? `{${labels}}` : ""), s.value);
  }
  return samples;
}
