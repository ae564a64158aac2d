/** Parses a Prometheus text page with the reference parser (python3-prometheus-client). */
import assert from "node:assert/strict";

/** Samples of a page as parsed by prometheus_client: `name{k=v,…}` → value. */
export async function parseMetrics(body: string): Promise<Map<string, number>> {
  const script = [
    "import sys, json",
    "from prometheus_client.parser import text_string_to_metric_families as p",
    "out = {}",
    "for f in p(sys.stdin.read()):",
    "  for s in f.samples:",
    "    labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))",
    "    out[s.name + ('{' + labels + '}' if labels else '')] = s.value",
    "print(json.dumps(out))",
  ].join("\n");
  const py = new Deno.Command("/usr/bin/python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = py.stdin.getWriter();
  await w.write(new TextEncoder().encode(body));
  await w.close();
  const out = await py.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new Map(Object.entries(JSON.parse(new TextDecoder().decode(out.stdout))));
}
