/** Carrying out reaction plans (statement 69 adapted: only what is needed, after ≥ 1 s). */
import assert from "node:assert/strict";
import type { Logger } from "../../lib/log.ts";
import { planReaction } from "../../lib/node/lifecycle/reaction.ts";
import { type ReactionTargets, runReaction } from "../../lib/node/lifecycle/reaction_runner.ts";
import { reactionInput } from "./reaction_input.ts";

const plan = (...args: Parameters<typeof reactionInput>) => planReaction(reactionInput(...args));

/** Targets recording what the runner did; timers are kept to be fired by the test. */
function targets(o: { renews?: boolean; babeldFails?: boolean } = {}) {
  const done: string[] = [];
  const said: string[] = [];
  const timers: Array<[number, () => unknown]> = [];
  const log: Logger = {
    error: (m) => done.push(`error: ${m}`),
    warn: (m) => done.push(`warn: ${m}`),
    info: (m) => said.push(m),
    debug() {},
    trace() {},
  };
  const t: ReactionTargets = {
    log,
    restartDaemon: () => done.push("daemon"),
    restartBabeld: () => {
      if (o.babeldFails) return Promise.reject(new Error("babeld did not start"));
      done.push("babeld");
      return Promise.resolve();
    },
    restartOpenvpnServers: () => Promise.resolve(void done.push("servers")),
    closeClientTunnels: () => Promise.resolve(void done.push("clients")),
    applyIpv4: () => Promise.resolve(void done.push("ipv4")),
    reconfigureTunnels: (s) =>
      done.push(`tunnels ${s.clientCount}/${s.tunnelRefresh}/${s.hello}/${s.registryPrefix}`),
    dropRevokedClients: () => void done.push("drop"),
    renew: () => Promise.resolve(done.push("renew") > 0 && (o.renews ?? true)),
    later: (ms, fn) => timers.push([ms, fn]),
  };
  const fire = async () => {
    for (const [, fn] of timers.splice(0)) await fn();
  };
  return { t, done, said, timers, fire };
}

Deno.test("statement 69 (adapted): an HMAC change restarts babeld only, after 1 s", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["babel_hmac_sign", "babel_hmac_accept"]), x.t), "children");
  assert.deepEqual(x.done, [], "nothing before the delay (gossip first)");
  assert.deepEqual(x.timers.map(([ms]) => ms), [1000]);
  assert.deepEqual(x.said, [
    "in 1 s, keeping the daemon: restarting babeld (babel_hmac_sign, babel_hmac_accept)",
  ]);
  await x.fire();
  assert.deepEqual(x.done, ["babeld"]);
  assert.equal(x.said[1], "restarting babeld (babel_hmac_sign, babel_hmac_accept)");
});

Deno.test("statement 32 (adapted): tunnel_refresh is applied live, nothing restarts", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["tunnel_refresh"], { tunnelRefresh: 60 }), x.t), "none");
  assert.deepEqual(x.done, ["tunnels 10/60/15/0000000000000001"]);
  assert.equal(x.timers.length, 0);
  assert.match(x.said[0], /^tunnel settings applied live \(tunnel_refresh\): /);
});

Deno.test("reaction runner: hello restarts babeld and OpenVPN, closes client tunnels, sets the timeout live", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["hello", "version"], { hello: 4 }), x.t), "children");
  assert.deepEqual(x.done, ["tunnels 10/300/4/0000000000000001"], "tunnel manager at once");
  await x.fire();
  assert.deepEqual(x.done.slice(1), ["servers", "clients", "babeld"]);
  assert.equal(
    x.said[1],
    "in 1 s, keeping the daemon: restarting the OpenVPN servers (hello), closing the client " +
      "tunnels (hello), restarting babeld (hello)",
  );
});

Deno.test("reaction runner: encrypt and max_clients restart OpenVPN only; IPv4 first", async () => {
  const x = targets();
  const p = plan(["max_clients", "encrypt"], { maxClients: 5 });
  assert.equal(await runReaction(p, x.t), "children");
  await x.fire();
  assert.deepEqual(x.done, ["servers", "clients"]);
  assert.match(
    x.said[0],
    /OpenVPN servers \(max_clients, encrypt\), closing the client tunnels \(encrypt\)$/,
  );
  const v4 = targets();
  assert.equal(await runReaction(plan(["ipv4", "ipv4_sublen"]), v4.t), "children");
  await v4.fire();
  assert.deepEqual(v4.done, ["ipv4", "servers", "clients", "babeld"]);
});

Deno.test("reaction runner: registry_prefix is applied live, nothing restarts", async () => {
  const x = targets();
  const p = plan(["registry_prefix"], { registryPrefix: "0000000000000010" });
  assert.equal(await runReaction(p, x.t), "none");
  assert.deepEqual(x.done, ["tunnels 10/300/15/0000000000000010"]);
  assert.equal(x.timers.length, 0);
});

Deno.test("reaction runner: a change of shape restarts the whole node, saying why", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["max_clients"], { maxClients: 0 }), x.t), "daemon");
  assert.deepEqual(x.done, []);
  await x.fire();
  assert.deepEqual(x.done, ["daemon"]);
  assert.deepEqual(x.said, [
    "restarting the whole node in 1 s to apply the new parameters (max_clients)",
  ]);
});

Deno.test("reaction runner: own certificate revoked ⇒ renew now, restart only if renewed", async () => {
  const ok = targets();
  assert.equal(await runReaction(plan(["crl"], {}, { ownRevoked: true }), ok.t), "daemon");
  assert.deepEqual(ok.done.filter((d) => !d.startsWith("warn")), ["renew", "daemon"]);
  assert.equal(ok.timers.length, 0, "immediately");
  const failed = targets({ renews: false });
  assert.equal(
    await runReaction(plan(["crl"], {}, { ownRevoked: true }), failed.t),
    "renew-failed",
  );
  assert.ok(!failed.done.includes("daemon"));
  assert.match(failed.done.join(), /could not be renewed/);
});

Deno.test("reaction runner: a child that fails to restart falls back to a daemon restart", async () => {
  const x = targets({ babeldFails: true });
  await runReaction(plan(["babel_default"]), x.t);
  await x.fire();
  assert.equal(x.done.at(-1), "daemon");
  assert.match(x.done.join(), /restarting babeld failed \(babeld did not start\)/);
});

Deno.test("reaction runner: too old ⇒ daemon restart (which then stops at start-up)", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["min_protocol"], { minProtocol: 11 }), x.t), "daemon");
  assert.match(x.done[0], /too old/);
  await x.fire();
  assert.equal(x.done.at(-1), "daemon");
});

Deno.test("statement 32 (adapted): a revoked served client is disconnected, nothing restarts", async () => {
  const x = targets();
  const p = plan(["crl", "version"], {}, { servedClientRevoked: true });
  assert.equal(await runReaction(p, x.t), "none");
  assert.deepEqual(x.done, ["drop"]);
  assert.equal(x.timers.length, 0);
});
