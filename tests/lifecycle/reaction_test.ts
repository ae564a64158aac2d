/** Reaction to new network parameters (spec §7.4, §9.6): restart only what is needed. */
import assert from "node:assert/strict";
import {
  effectiveCounts,
  planReaction,
  planRestarts,
  type ReactionInput,
  type ReactionParams,
} from "../../lib/node/lifecycle/reaction.ts";
import { PARAMS, reactionInput as input } from "./reaction_input.ts";

/** The restarts of a plan, as a sorted list of names. */
function restarts(i: ReactionInput): string[] {
  const p = planReaction(i);
  const names = [
    "exitTooOld",
    "renew",
    "restartDaemon",
    "restartBabeld",
    "restartOpenvpnServers",
    "restartClientTunnels",
    "applyIpv4",
    "dropRevokedClients",
  ] as const;
  return names.filter((n) => p[n]);
}

Deno.test("statement 31: --client-count and --max-clients win over distributed values", () => {
  assert.deepEqual(effectiveCounts(PARAMS, { clientCount: 3 }), { clientCount: 3, maxClients: 20 });
  assert.deepEqual(effectiveCounts(PARAMS, { maxClients: 0 }), { clientCount: 10, maxClients: 0 });
  const i = input(["client_count", "max_clients"], { clientCount: 12, maxClients: 24 }, {
    cli: { clientCount: 3, maxClients: 6 },
  });
  const p = planReaction(i);
  assert.deepEqual(restarts(i), []);
  assert.equal(p.tunnels, undefined, "a node given --client-count 3 keeps 3");
  assert.equal(p.warnings.length, 2);
  assert.match(p.warnings[0], /client_count 12 ignored/);
});

Deno.test("statement 32 (adapted): tunnel_refresh is applied live; CRL alone restarts nothing", () => {
  const refresh = input(["tunnel_refresh", "version"], { tunnelRefresh: 100 });
  assert.deepEqual(restarts(refresh), []);
  assert.deepEqual(planReaction(refresh).tunnels, {
    clientCount: 10,
    tunnelRefresh: 100,
    sameCountry: undefined,
  });
  const crl = input(["crl", "version"]);
  assert.deepEqual(restarts(crl), []);
  assert.equal(planRestarts(planReaction(crl)), false);
  assert.equal(planReaction(crl).tunnels, undefined);
  const served = input(["crl", "version"], {}, { servedClientRevoked: true });
  assert.deepEqual(restarts(served), ["dropRevokedClients"], "drop the client, restart nothing");
});

Deno.test("statement 69 (adapted): only the affected children restart, after ≥ 1 s + delay_restart", () => {
  const cases: Array<[string[], Partial<ReactionParams>, string[]]> = [
    [["babel_hmac_sign", "babel_hmac_accept"], {}, ["restartBabeld"]],
    [["babel_default"], {}, ["restartBabeld"]],
    [["encrypt"], {}, ["restartOpenvpnServers", "restartClientTunnels"]],
    [
      ["ipv4", "ipv4_sublen"],
      {},
      ["restartBabeld", "restartOpenvpnServers", "restartClientTunnels", "applyIpv4"],
    ],
    [["hello"], {}, ["restartDaemon"]],
    [["registry_prefix"], {}, ["restartDaemon"]],
    [["max_clients"], { maxClients: 30 }, ["restartOpenvpnServers"]],
    [["max_clients"], { maxClients: 0 }, ["restartDaemon", "restartOpenvpnServers"]],
    [["client_count"], { clientCount: 5 }, []],
    [["client_count"], { clientCount: 12 }, ["restartBabeld"]],
    [["client_count"], { clientCount: 0 }, ["restartDaemon"]],
    [["same_country"], { sameCountry: ["FR"] }, []],
    [["valid_until", "version"], {}, []],
    [["some_future_key"], {}, []],
  ];
  for (const [changed, after, expected] of cases) {
    assert.deepEqual(restarts(input(changed, after)), expected, changed.join(","));
  }
  assert.equal(planReaction(input(["hello"])).delayMs, 1000, "after gossiping: ≥ 1 s");
  assert.equal(planReaction(input(["hello"], { delayRestart: 4 })).delayMs, 5000);
  assert.equal(planReaction(input(["hello"], { delayRestart: -3 })).delayMs, 1000);
});

Deno.test("reaction: base tunnel manager ignores tunnel settings", () => {
  const base = { ...PARAMS, clientCount: 0 };
  const i = input(["tunnel_refresh", "same_country"], { clientCount: 0, tunnelRefresh: 60 }, {
    before: base,
  });
  assert.deepEqual(restarts(i), []);
  assert.equal(planReaction(i).tunnels, undefined);
  const grow = input(["client_count"], { clientCount: 4 }, { before: base });
  assert.ok(planReaction(grow).restartDaemon, "base → full tunnel manager");
});

Deno.test("statement 70 (pure part): own certificate revoked ⇒ renew at once, then restart", () => {
  const p = planReaction(input(["crl"], {}, { ownRevoked: true }));
  assert.equal(p.renew, true);
  assert.equal(p.restartDaemon, true);
  assert.equal(p.delayMs, 0);
  assert.match(p.warnings.join(), /revoked/);
});

Deno.test("reaction: min_protocol above ours exits; a newer registry protocol only warns", () => {
  const old = planReaction(input(["min_protocol"], { minProtocol: 11 }));
  assert.equal(old.exitTooOld, true);
  assert.equal(old.delayMs, 1000);
  assert.match(old.warnings[0], /too old/);
  const newer = planReaction(input(["protocol"], { protocol: 11 }));
  assert.equal(planRestarts(newer), false);
  assert.match(newer.warnings[0], /newer protocol/);
});
