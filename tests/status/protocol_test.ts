/**
 * Both ends of the control protocol without sockets: the server's request handling
 * (`controlHandler`) and the client's reading of a status document (`parseStatusDocument`).
 */
import assert from "node:assert/strict";
import { statusDocument } from "../../lib/node/control/document.ts";
import { controlHandler } from "../../lib/node/control/http.ts";
import { NodeQueryError, parseStatusDocument } from "../../lib/status/client.ts";
import { NOW, snapshot } from "./fixtures.ts";

const doc = statusDocument(snapshot(), NOW);

Deno.test("control requests: GET/HEAD of /status and /metrics, errors as JSON", async () => {
  let running = true;
  const handle = controlHandler({
    status: () => Promise.resolve(running ? doc : undefined),
    metrics: () => Promise.resolve("# HELP x y\n# TYPE x gauge\nx 1\n"),
  });
  const ask = async (path: string, method = "GET") => {
    const r = await handle(new Request(`http://re6st${path}`, { method }));
    return { status: r.status, type: r.headers.get("content-type"), body: await r.text(), r };
  };
  const ok = await ask("/status");
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), JSON.parse(JSON.stringify(doc)));
  assert.ok(ok.body.endsWith("\n"));
  // query strings are ignored
  assert.equal((await ask("/status?pretty=1")).status, 200);
  const m = await ask("/metrics");
  assert.equal(m.type, "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(m.body, "# HELP x y\n# TYPE x gauge\nx 1\n");

  const cases: Array<[string, string, number, RegExp]> = [
    ["/", "GET", 404, /no resource \/; try \/status or \/metrics/],
    ["/status/", "GET", 404, /no resource \/status\//],
    ["/../etc/passwd", "GET", 404, /no resource/],
    ["/status", "POST", 405, /POST not allowed; use GET/],
    ["/metrics", "DELETE", 405, /DELETE not allowed/],
  ];
  for (const [path, method, status, re] of cases) {
    const r = await ask(path, method);
    assert.equal(r.status, status, `${method} ${path}`);
    assert.equal(r.type, "application/json; charset=utf-8");
    assert.match(JSON.parse(r.body).error, re);
  }
  assert.equal((await ask("/status", "POST")).r.headers.get("allow"), "GET, HEAD");

  running = false;
  const starting = await ask("/status");
  assert.equal(starting.status, 503);
  assert.match(JSON.parse(starting.body).error, /starting/);
});

Deno.test("control requests: a failing source gives 500, not an exception", async () => {
  const handle = controlHandler({
    status: () => Promise.reject(new Error("babeld socket closed")),
    metrics: () => Promise.reject(new TypeError("boom")),
  });
  for (const path of ["/status", "/metrics"]) {
    const r = await handle(new Request(`http://re6st${path}`));
    assert.equal(r.status, 500);
    assert.match(JSON.parse(await r.text()).error, new RegExp(`cannot build ${path}`));
  }
});

Deno.test("status documents: the client accepts ours and rejects anything else clearly", () => {
  const text = JSON.stringify(doc);
  assert.deepEqual(parseStatusDocument(text), JSON.parse(text));
  const broken = (mutate: (d: Record<string, unknown>) => void) => {
    const d = JSON.parse(text);
    mutate(d);
    return JSON.stringify(d);
  };
  const cases: Array<[string, RegExp]> = [
    ["", /not JSON/],
    ["<html></html>", /not JSON/],
    ["[1,2]", /not a status document/],
    ["null", /not a status document/],
    ['"status"', /not a status document/],
    [broken((d) => d.format = 2), /format 2 \(this re6st reads 1\)/],
    [broken((d) => delete d.format), /format undefined/],
    [broken((d) => d.node = null), /without 'node'/],
    [broken((d) => d.tunnels = {}), /without a 'tunnels' list/],
    [broken((d) => d.tunnels = [null]), /without a 'tunnels' list/],
    [broken((d) => (d.peers as Record<string, unknown>).sessions = "x"), /'peers.sessions'/],
    [broken((d) => (d.babel as Record<string, unknown>).routes = undefined), /'babel.routes'/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseStatusDocument(input), (e) => {
      assert.ok(e instanceof NodeQueryError, `${input}: ${e}`);
      assert.match(e.message, re);
      return true;
    });
  }
});
