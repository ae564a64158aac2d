/** Carrying out reaction plans (statement 69 adapted: only what is needed, after ≥ 1 s). */
import assert from "node:assert/strict";
import type { Logger } from "../../lib/log.ts";
import { planReaction } from "../../lib/node/lifecycle/reaction.ts";
import { type ReactionTargets, runReaction } from "../../lib/node/lifecycle/reaction_runner.ts";
import { reactionInput } from "./reaction_input.ts";

const plan = (...args: Parameters<typeof reactionInput>) => planReaction(reactionInput(...args));

/** Targets recording what the runner did; timers are kept to be fired by the test. */
function targets(
  o: { renews?: boolean; openvpn?: boolean; babeldFails?: boolean; drop?: boolean } = {},
) {
  const done: string[] = [];
  const timers: Array<[number, () => unknown]> = [];
  const log: Logger = {
    error: (m) => done.push(`error: ${m}`),
    warn: (m) => done.push(`warn: ${m}`),
    info() {},
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
    restartOpenvpn: o.openvpn ? () => Promise.resolve(void done.push("openvpn")) : undefined,
    reconfigureTunnels: (s) => done.push(`tunnels ${s.clientCount}/${s.tunnelRefresh}`),
    dropRevokedClients: o.drop ? () => done.push("drop") : undefined,
    renew: () => Promise.resolve(done.push("renew") > 0 && (o.renews ?? true)),
    later: (ms, fn) => timers.push([ms, fn]),
  };
  const fire = async () => {
    for (const [, fn] of timers.splice(0)) await fn();
  };
  return { t, done, timers, fire };
}

Deno.test("statement 69 (adapted): an HMAC change restarts babeld only, after 1 s", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["babel_hmac_sign", "babel_hmac_accept"]), x.t), "children");
  assert.deepEqual(x.done, [], "nothing before the delay (gossip first)");
  assert.deepEqual(x.timers.map(([ms]) => ms), [1000]);
  await x.fire();
  assert.deepEqual(x.done, ["babeld"]);
});

Deno.test("statement 32 (adapted): tunnel_refresh is applied live, nothing restarts", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["tunnel_refresh"], { tunnelRefresh: 60 }), x.t), "none");
  assert.deepEqual(x.done, ["tunnels 10/60"]);
  assert.equal(x.timers.length, 0);
});

Deno.test("reaction runner: OpenVPN changes restart the daemon unless it can restart OpenVPN", async () => {
  const whole = targets();
  assert.equal(await runReaction(plan(["encrypt"]), whole.t), "daemon");
  await whole.fire();
  assert.deepEqual(whole.done, ["daemon"]);
  const children = targets({ openvpn: true });
  assert.equal(await runReaction(plan(["ipv4", "ipv4_sublen"]), children.t), "children");
  await children.fire();
  assert.deepEqual(children.done, ["openvpn", "babeld"]);
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
  assert.match(x.done.join(), /restart of babeld failed/);
});

Deno.test("reaction runner: too old ⇒ daemon restart (which then stops at start-up)", async () => {
  const x = targets();
  assert.equal(await runReaction(plan(["min_protocol"], { minProtocol: 11 }), x.t), "daemon");
  assert.match(x.done[0], /too old/);
  await x.fire();
  assert.equal(x.done.at(-1), "daemon");
});

Deno.test("statement 32 (adapted): a revoked served client is disconnected, nothing restarts", async () => {
  const x = targets({ drop: true });
  const p = plan(["crl", "version"], {}, { servedClientRevoked: true });
  assert.equal(await runReaction(p, x.t), "none");
  assert.deepEqual(x.done, ["drop"]);
  assert.equal(x.timers.length, 0);
  const old = targets({ openvpn: true });
  assert.equal(await runReaction(p, old.t), "children", "without client-kill: OpenVPN restart");
  await old.fire();
  assert.deepEqual(old.done, ["openvpn"]);
});
