/**
 * The node's control server on a real unix socket: permissions, answers before and after the
 * daemon hands over its state, metrics read by the reference Prometheus parser, malformed
 * requests, and the real `re6st status` program (tables, --json, --metrics, errors).
 */
import assert from "node:assert/strict";
import { statusDocument } from "../../lib/node/control/document.ts";
import { NodeControl } from "../../lib/node/control/server.ts";
import { controlSocketPath } from "../../lib/node/control/socket_path.ts";
import { NOW, snapshot } from "./fixtures.ts";
import { parseMetrics } from "./prometheus.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function get(socket: string, path: string, method = "GET") {
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  try {
    const r = await fetch(`http://re6st${path}`, { client, method });
    return { status: r.status, type: r.headers.get("content-type"), body: await r.text() };
  } finally {
    client.close();
  }
}

/** Writes raw bytes on the socket and reads what comes back until close (bounded). */
async function raw(socket: string, data: Uint8Array, timeoutMs = 5000): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  const chunks: Uint8Array[] = [];
  try {
    await conn.write(data);
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      if (new TextDecoder().decode(chunks.at(-1)).includes("\r\n\r\n")) break;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
  return chunks.map((c) => new TextDecoder().decode(c)).join("");
}

/** Leaves a socket file nobody listens on, as a crashed node would. */
async function staleSocket(path: string): Promise<void> {
  const py = "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
  const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", py, path] }).output();
  assert.equal(out.code, 0);
  assert.ok((await Deno.stat(path)).isSocket);
}

async function re6stStatus(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "status", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

Deno.test("control socket: 0600 in a 0700 run directory, 503 until the daemon runs, then the document", async () => {
  const tmp = await Deno.makeTempDir();
  const run = `${tmp}/run`;
  const control = await NodeControl.start(run, () => NOW);
  try {
    const socket = controlSocketPath(run);
    assert.equal(socket, `${run}/re6st.sock`);
    assert.equal((await Deno.stat(run)).mode! & 0o777, 0o700);
    const info = await Deno.stat(socket);
    assert.ok(info.isSocket);
    assert.equal(info.mode! & 0o777, 0o600);

    const early = await get(socket, "/status");
    assert.equal(early.status, 503);
    assert.match(JSON.parse(early.body).error, /starting/);
    // counters work before the node runs: parameter fetches while blocking
    control.metrics.fetched(false);
    control.metrics.fetched(true);
    const m0 = await parseMetrics((await get(socket, "/metrics")).body);
    assert.equal(m0.get("re6st_node_parameter_fetches_total{result=failed}"), 1);
    assert.equal(m0.get("re6st_node_parameter_fetches_total{result=ok}"), 1);

    control.setSource(snapshot);
    const r = await get(socket, "/status");
    assert.equal(r.status, 200);
    assert.equal(r.type, "application/json; charset=utf-8");
    assert.deepEqual(
      JSON.parse(r.body),
      JSON.parse(JSON.stringify(statusDocument(snapshot(), NOW))),
    );
  } finally {
    await control.close();
  }
  await assert.rejects(Deno.stat(controlSocketPath(run)), Deno.errors.NotFound);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("control socket: /metrics parses with the reference Prometheus parser", async () => {
  const tmp = await Deno.makeTempDir();
  const control = await NodeControl.start(tmp, () => NOW);
  try {
    control.setSource(snapshot);
    control.metrics.dropped("packet");
    control.metrics.dropped("packet");
    control.metrics.dropped("handshake");
    const r = await get(controlSocketPath(tmp), "/metrics");
    assert.equal(r.status, 200);
    assert.equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
    const m = await parseMetrics(r.body);
    const expect: Record<string, number> = {
      "re6st_node_info{cn=1/16,subnet=2001:db8:42:1::/64,version=0.1.0}": 1,
      "re6st_node_uptime_seconds": 3723,
      "re6st_node_network_version": 7,
      "re6st_node_tunnels{direction=client,state=up}": 1,
      "re6st_node_tunnels{direction=client,state=connecting}": 1,
      "re6st_node_tunnels{direction=server,state=draining}": 1,
      "re6st_node_tunnels{direction=server,state=up}": 0,
      "re6st_node_tunnel_attempts_total{protocol=tcp}": 3,
      "re6st_node_tunnel_attempts_total{protocol=udp}": 2,
      "re6st_node_tunnel_failures_total{protocol=udp}": 1,
      "re6st_node_tunnels_lost_total": 1,
      "re6st_node_peers_cached": 3,
      "re6st_node_peers_blacklisted": 1,
      "re6st_node_peer_sessions{state=connected}": 1,
      "re6st_node_peer_sessions{state=disconnected}": 1,
      "re6st_node_routed_nodes": 4,
      "re6st_node_babel_installed_routes": 5,
      "re6st_node_babel_neighbours": 3,
      "re6st_node_babeld_restarts_total": 2,
      "re6st_node_dropped_packets_total": 2,
      "re6st_node_handshake_errors_total": 1,
      "re6st_node_upnp_mappings": 0,
    };
    for (const [k, v] of Object.entries(expect)) assert.equal(m.get(k), v, k);
    // counters kept by the core follow it at the next scrape
    const later = snapshot();
    later.tunnelCounters.attempts.udp = 5;
    later.babeld.restarts = 3;
    control.setSource(() => later);
    const m2 = await parseMetrics((await get(controlSocketPath(tmp), "/metrics")).body);
    assert.equal(m2.get("re6st_node_tunnel_attempts_total{protocol=udp}"), 5);
    assert.equal(m2.get("re6st_node_babeld_restarts_total"), 3);
  } finally {
    await control.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("control socket: malformed requests get clear errors and never stop the server", async () => {
  const tmp = await Deno.makeTempDir();
  const control = await NodeControl.start(tmp, () => NOW);
  const socket = controlSocketPath(tmp);
  try {
    control.setSource(snapshot);
    const notFound = await get(socket, "/nope");
    assert.equal(notFound.status, 404);
    assert.match(JSON.parse(notFound.body).error, /no resource \/nope; try \/status or \/metrics/);
    const post = await get(socket, "/status", "POST");
    assert.equal(post.status, 405);
    assert.match(JSON.parse(post.body).error, /POST not allowed/);
    assert.equal((await get(socket, "/status", "HEAD")).status, 200);

    const te = new TextEncoder();
    assert.match(await raw(socket, te.encode('{"get":"status"}\n\r\n\r\n')), /^HTTP\/1\.1 400/);
    assert.match(await raw(socket, new Uint8Array([0, 255, 13, 10, 13, 10])), /^HTTP\/1\.1 400/);
    // a request cut short: the server simply waits; the client goes away
    const half = await Deno.connect({ transport: "unix", path: socket });
    await half.write(te.encode("GET /sta"));
    half.close();

    // a daemon-side failure while building the answer: 500, logged, the server goes on
    control.setSource(() => {
      throw new Error("snapshot exploded");
    });
    const failed = await get(socket, "/status");
    assert.equal(failed.status, 500);
    assert.match(JSON.parse(failed.body).error, /snapshot exploded/);

    control.setSource(snapshot);
    assert.equal((await get(socket, "/status")).status, 200);
  } finally {
    await control.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("control socket: a stale socket of a crashed run is replaced; an unusable path is not fatal", async () => {
  const tmp = await Deno.makeTempDir();
  const socket = controlSocketPath(tmp);
  await staleSocket(socket);
  await Deno.writeTextFile(`${tmp}/keep`, "");
  const control = await NodeControl.start(tmp, () => NOW);
  try {
    control.setSource(snapshot);
    assert.equal((await get(socket, "/status")).status, 200);
  } finally {
    await control.close();
  }
  // a run directory path that is a file: logged, the node would run on without the socket
  const broken = await NodeControl.start(`${tmp}/keep`, () => NOW);
  broken.metrics.fetched(true);
  await broken.close();
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("re6st status: tables, --json and --metrics from a node; exit 1 when none answers", async () => {
  const tmp = await Deno.makeTempDir();
  const control = await NodeControl.start(`${tmp}/run`, () => NOW);
  try {
    control.setSource(snapshot);
    const table = await re6stStatus(["--run", `${tmp}/run`]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^node 1\/16 {2}2001:db8:42:1::\/64/);
    assert.match(
      table.stdout,
      /^2\/16 +2001:db8:42:2::\/64 +client +tcp +re6stnet1 +up +5m00s +2$/m,
    );

    // the run directory from the node's config file
    await Deno.writeTextFile(`${tmp}/re6stnet.conf`, `ca ca.crt\nrun ${tmp}/run\nO--verb\nO3\n`);
    const json = await re6stStatus([`@${tmp}/re6stnet.conf`, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      JSON.parse(json.stdout),
      JSON.parse(JSON.stringify(statusDocument(snapshot(), NOW))),
    );

    const metrics = await re6stStatus(["--run", `${tmp}/run`, "--metrics"]);
    assert.equal(metrics.code, 0, metrics.stderr);
    assert.equal((await parseMetrics(metrics.stdout)).get("re6st_node_network_version"), 7);
  } finally {
    await control.close();
  }

  const none = await re6stStatus(["--run", `${tmp}/run`]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, "");
  assert.match(
    none.stderr,
    /^re6st status: no node answers on .*\/run\/re6st\.sock: no control socket there/,
  );

  // a socket file nobody listens on
  await staleSocket(`${tmp}/run/re6st.sock`);
  const refused = await re6stStatus(["--run", `${tmp}/run`, "--json"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /nobody listens/);
  await Deno.remove(`${tmp}/run/re6st.sock`);

  // something else answering on the socket
  const impostor = Deno.serve(
    { path: `${tmp}/run/re6st.sock`, onListen: () => {} },
    () => new Response("<html>hello</html>"),
  );
  try {
    const garbage = await re6stStatus(["--run", `${tmp}/run`]);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /the node's answer is not JSON/);
  } finally {
    await impostor.shutdown();
  }

  const bad = await re6stStatus(["--nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option '--nope'/);
  await Deno.remove(tmp, { recursive: true });
});
