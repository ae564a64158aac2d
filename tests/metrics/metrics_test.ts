import { strict as assert } from "node:assert";
import { METRICS_CONTENT_TYPE, MetricsRegistry } from "../../lib/metrics/registry.ts";
import { setSink } from "../../lib/log.ts";
import { parseMetricSamples } from "../status/prometheus.ts";

Deno.test("counter, gauge and histogram render the text format", () => {
  const m = new MetricsRegistry();
  const c = m.counter({
    name: "re6st_tunnels_opened_total",
    help: "Tunnels opened.",
    labels: ["proto"],
  });
  const g = m.gauge({ name: "re6st_peers", help: "Known peers." });
  const h = m.histogram({ name: "re6st_rtt_seconds", help: "RTT.", buckets: [0.1, 1] });
  c.inc({ proto: "udp" });
  c.inc({ proto: "tcp" }, 2);
  c.inc({ proto: "tcp" });
  g.set({}, 7);
  g.inc({}, -2);
  for (const v of [0.05, 0.5, 3]) h.observe({}, v);
  assert.equal(
    m.render(),
    [
      "# HELP re6st_tunnels_opened_total Tunnels opened.",
      "# TYPE re6st_tunnels_opened_total counter",
      're6st_tunnels_opened_total{proto="tcp"} 3',
      're6st_tunnels_opened_total{proto="udp"} 1',
      "# HELP re6st_peers Known peers.",
      "# TYPE re6st_peers gauge",
      "re6st_peers 5",
      "# HELP re6st_rtt_seconds RTT.",
      "# TYPE re6st_rtt_seconds histogram",
      're6st_rtt_seconds_bucket{le="0.1"} 1',
      're6st_rtt_seconds_bucket{le="1"} 2',
      're6st_rtt_seconds_bucket{le="+Inf"} 3',
      "re6st_rtt_seconds_sum 3.55",
      "re6st_rtt_seconds_count 3",
      "",
    ].join("\n"),
  );
  assert.equal(c.get({ proto: "tcp" }), 3);
});

Deno.test("escaping of HELP and label values, special values", () => {
  const m = new MetricsRegistry();
  const g = m.gauge({ name: "x", help: 'a\\b\nc "q"', labels: ["cn"] });
  g.set({ cn: 'we"ird\\\n' }, Infinity);
  g.set({ cn: "nan" }, NaN);
  g.set({ cn: "neg" }, -Infinity);
  assert.equal(
    m.render(),
    '# HELP x a\\\\b\\nc "q"\n# TYPE x gauge\nx{cn="nan"} NaN\nx{cn="neg"} -Inf\n' +
      'x{cn="we\\"ird\\\\\\n"} +Inf\n',
  );
});

Deno.test("histogram with labels puts le last; unlabelled metrics show zero", () => {
  const m = new MetricsRegistry();
  m.counter({ name: "c_total", help: "c" });
  const h = m.histogram({ name: "h", help: "h", labels: ["k"], buckets: [1] });
  h.observe({ k: "a" }, 1);
  h.observe({ k: "a" }, NaN);
  assert.match(m.render(), /^c_total 0$/m);
  assert.match(m.render(), /^h_bucket\{k="a",le="1"\} 1$/m);
  assert.match(m.render(), /^h_count\{k="a"\} 1$/m);
});

Deno.test("bad declarations and uses throw clear errors", () => {
  const m = new MetricsRegistry();
  assert.throws(() => m.counter({ name: "1bad", help: "" }), /invalid metric name/);
  assert.throws(() => m.counter({ name: "ok", help: "", labels: ["__x"] }), /invalid label/);
  assert.throws(() => m.counter({ name: "ok", help: "", labels: ["a", "a"] }), /duplicate/);
  assert.throws(
    () => m.histogram({ name: "h", help: "", labels: ["le"], buckets: [1] }),
    /reserved/,
  );
  assert.throws(() => m.histogram({ name: "h", help: "", buckets: [2, 1] }), /increasing/);
  assert.throws(() => m.histogram({ name: "h", help: "", buckets: [] }), /at least one/);
  const c = m.counter({ name: "ok", help: "", labels: ["a"] });
  assert.throws(() => m.counter({ name: "ok", help: "" }), /already registered/);
  assert.throws(() => c.inc({ a: "1" }, -1), />= 0/);
  assert.throws(() => c.inc({ b: "1" }), /do not match/);
  assert.throws(() => c.inc({}), /do not match/);
  assert.throws(() => c.inc({ a: 1 as unknown as string }), /must be a string/);
});

Deno.test("a failing collect hook is logged and does not break the page", () => {
  const m = new MetricsRegistry();
  const lines: string[] = [];
  const prev = setSink((l) => lines.push(l));
  try {
    m.gauge({
      name: "g",
      help: "g",
      collect: () => {
        throw new Error("boom");
      },
    });
    assert.equal(m.render(), "# HELP g g\n# TYPE g gauge\ng 0\n");
    assert.match(lines.join("\n"), /collecting g failed: boom/);
  } finally {
    setSink(prev);
  }
});

Deno.test("a served /metrics page is parsed by the reference Python client parser", async () => {
  const m = new MetricsRegistry();
  const g = m.gauge({ name: "re6st_tunnel_up", help: 'Up "tunnels"\\', labels: ["iface", "peer"] });
  let scrapes = 0;
  m.counter({ name: "re6st_scrapes_total", help: "Scrapes.", collect: () => void scrapes++ });
  const h = m.histogram({
    name: "re6st_req_seconds",
    help: "Req.",
    labels: ["m"],
    buckets: [0.5, 2],
  });
  g.set({ iface: "re6stnet1", peer: 'a"b\\c\nd' }, 1);
  h.observe({ m: "getCa" }, 1);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(m.render(), { headers: { "content-type": METRICS_CONTENT_TYPE } }),
  );
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/metrics`);
    assert.equal(res.headers.get("content-type"), METRICS_CONTENT_TYPE);
    const body = await res.text();
    const samples = await parseMetricSamples(body);
    assert.deepEqual(samples[0], {
      family: "re6st_tunnel_up",
      type: "gauge",
      help: 'Up "tunnels"\\',
      name: "re6st_tunnel_up",
      labels: { iface: "re6stnet1", peer: 'a"b\\c\nd' },
      value: 1,
    });
    assert.deepEqual([samples[1].family, samples[1].type], ["re6st_scrapes", "counter"]);
    const buckets = samples.filter((s) => s.name === "re6st_req_seconds_bucket");
    assert.deepEqual(buckets.map((s) => [s.labels.le, s.value]), [
      ["0.5", 0],
      ["2", 1],
      ["+Inf", 1],
    ]);
    assert.equal(scrapes, 1);
  } finally {
    await server.shutdown();
  }
});
