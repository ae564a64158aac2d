/**
 * ServerSupervisor: a dead OpenVPN server is started again on its port after the back-off
 * (1 s, then 2 s after a failed start), unknown protocols are ignored, `stop` cancels pending
 * restarts, `restartAll` restarts every server on purpose (superseding a pending crash restart).
 * The real OpenVPN server killed by PID is in tests/net/supervision_test.ts.
 */
import assert from "node:assert/strict";
import { setSink } from "../../lib/log.ts";
import type { Protocol } from "../../lib/node/openvpn/args.ts";
import { ServerSupervisor } from "../../lib/node/openvpn/server_supervisor.ts";
import { waitFor } from "../../lib/netns/wait.ts";

const lines: string[] = [];
setSink((line) => lines.push(line));

class Starter {
  calls: Array<[Protocol, number, number]> = [];
  stops: string[] = [];
  failures = 0;
  stopServer(iface: string): Promise<void> {
    this.stops.push(iface);
    return Promise.resolve();
  }
  startServer(proto: Protocol, port: number): Promise<unknown> {
    this.calls.push([proto, port, Date.now()]);
    if (this.failures-- > 0) return Promise.reject(new Error("port in use"));
    return Promise.resolve();
  }
}

Deno.test("server supervisor: restart after 1 s, a failed start retried after 2 s, logged", async () => {
  const shell = new Starter();
  shell.failures = 1;
  const sup = new ServerSupervisor(shell, new Map([["tcp", 1194]]));
  const t0 = Date.now();
  sup.exited("tcp", 137);
  sup.exited("udp", 1); // not one of ours: ignored
  await waitFor(() => shell.calls.length === 2, { timeoutMs: 6000, what: "two starts" });
  const [first, second] = shell.calls;
  assert.deepEqual([first[0], first[1]], ["tcp", 1194]);
  assert.ok(first[2] - t0 >= 900, `first restart after ~1 s (${first[2] - t0} ms)`);
  assert.ok(second[2] - first[2] >= 1900, `retry after ~2 s (${second[2] - first[2]} ms)`);
  await waitFor(() => lines.some((l) => l.includes("restarted on port 1194")), {
    timeoutMs: 1000,
    what: "the restart log line",
  });
  assert.ok(lines.some((l) => l.includes("OpenVPN server tcp exited with 137; restarting in 1 s")));
  assert.ok(lines.some((l) => l.includes("cannot restart OpenVPN server tcp: port in use")));
  sup.stop();
});

Deno.test("server supervisor: stop cancels a pending restart", async () => {
  const shell = new Starter();
  const sup = new ServerSupervisor(shell, new Map([["tcp", 1194]]));
  sup.exited("tcp", 0);
  sup.stop();
  sup.exited("tcp", 0);
  await new Promise((r) => setTimeout(r, 1300));
  assert.deepEqual(shell.calls, []);
});

Deno.test("server supervisor: restartAll stops and starts every server, superseding a crash restart", async () => {
  const shell = new Starter();
  const sup = new ServerSupervisor(shell, new Map([["tcp", 1194], ["udp", 1195]]));
  sup.exited("tcp", 1); // a crash restart pending in 1 s…
  await sup.restartAll(); // …superseded by the restart on purpose
  assert.deepEqual(shell.stops, ["re6stnet-tcp", "re6stnet-udp"]);
  assert.deepEqual(shell.calls.map(([proto, port]) => [proto, port]), [["tcp", 1194], [
    "udp",
    1195,
  ]]);
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(shell.calls.length, 2, "no second start of tcp");
  assert.ok(
    lines.some((l) => l.includes("OpenVPN server udp restarted on port 1195 with the new")),
  );
  shell.failures = 1;
  await assert.rejects(sup.restartAll(), /port in use/);
  sup.stop();
});
