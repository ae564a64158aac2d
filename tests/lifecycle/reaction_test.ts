/** Reaction to new network parameters (spec §7.4, §9.6): restart only what is needed. */
import assert from "node:assert/strict";
import {
  classifyChange,
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

Deno.test("reaction: what each changed key concerns (babeld, OpenVPN servers, client tunnels, tunnel settings, nothing)", () => {
  const cases: Array<[string, Partial<ReactionParams>, string[]]> = [
    ["babel_default", {}, ["babeld"]],
    ["babel_hmac_sign", {}, ["babeld"]],
    ["babel_hmac_accept", {}, ["babeld"]],
    ["encrypt", {}, ["openvpnServers", "clientTunnels"]],
    ["ipv4", {}, ["ipv4", "babeld", "openvpnServers", "clientTunnels"]],
    ["ipv4_sublen", {}, ["ipv4", "babeld", "openvpnServers", "clientTunnels"]],
    ["hello", { hello: 4 }, ["babeld", "openvpnServers", "clientTunnels", "tunnelSettings"]],
    ["registry_prefix", { registryPrefix: "0000000000000010" }, ["tunnelSettings"]],
    ["max_clients", { maxClients: 30 }, ["openvpnServers"]],
    ["max_clients", {}, []], // listed as changed, same value: nothing
    ["client_count", { clientCount: 5 }, ["tunnelSettings"]],
    ["client_count", { clientCount: 12 }, ["babeld", "tunnelSettings"]],
    ["tunnel_refresh", { tunnelRefresh: 60 }, ["tunnelSettings"]],
    ["same_country", { sameCountry: ["FR"] }, ["tunnelSettings"]],
    ["crl", {}, []],
    ["version", {}, []],
    ["valid_until", {}, []],
    ["protocol", {}, []],
    ["delay_restart", {}, []],
    ["some_future_key", {}, []],
  ];
  for (const [key, after, expected] of cases) {
    assert.deepEqual(classifyChange(key, input([key], after)), expected, key);
  }
  // command-line values win: their keys concern nothing
  const cli = { cli: { clientCount: 3, maxClients: 6 } };
  assert.deepEqual(classifyChange("max_clients", input([], { maxClients: 30 }, cli)), []);
  assert.deepEqual(classifyChange("client_count", input([], { clientCount: 12 }, cli)), []);
  // a base tunnel manager has no tunnel to refresh, but still takes hello and the registry
  const base = { before: { ...PARAMS, clientCount: 0 } };
  const b = (key: string, after: Partial<ReactionParams>) =>
    classifyChange(key, input([key], { clientCount: 0, ...after }, base));
  assert.deepEqual(b("tunnel_refresh", { tunnelRefresh: 60 }), []);
  assert.deepEqual(b("same_country", { sameCountry: ["FR"] }), []);
  assert.deepEqual(b("hello", { hello: 4 }), [
    "babeld",
    "openvpnServers",
    "clientTunnels",
    "tunnelSettings",
  ]);
});

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
    hello: 15,
    registryPrefix: PARAMS.registryPrefix,
  });
  assert.deepEqual(planReaction(refresh).reasons.tunnelSettings, ["tunnel_refresh"]);
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
    [["hello"], { hello: 4 }, ["restartBabeld", "restartOpenvpnServers", "restartClientTunnels"]],
    [["registry_prefix"], { registryPrefix: "0000000000000010" }, []],
    [["max_clients"], { maxClients: 30 }, ["restartOpenvpnServers"]],
    [["max_clients", "encrypt"], { maxClients: 5 }, [
      "restartOpenvpnServers",
      "restartClientTunnels",
    ]],
    [["client_count"], { clientCount: 5 }, []],
    [["client_count"], { clientCount: 12 }, ["restartBabeld"]],
    [["same_country"], { sameCountry: ["FR"] }, []],
    [["valid_until", "version"], {}, []],
    [["some_future_key"], {}, []],
  ];
  for (const [changed, after, expected] of cases) {
    assert.deepEqual(restarts(input(changed, after)), expected, changed.join(","));
  }
  const hello = planReaction(input(["hello", "version"], { hello: 4 }));
  assert.equal(hello.delayMs, 1000, "after gossiping: ≥ 1 s");
  assert.equal(hello.tunnels?.hello, 4, "the tunnel manager's timeout follows, live");
  assert.deepEqual(hello.reasons.babeld, ["hello"]);
  assert.equal(planReaction(input(["hello"], { delayRestart: 4 })).delayMs, 5000);
  assert.equal(planReaction(input(["hello"], { delayRestart: -3 })).delayMs, 1000);
  const registry = planReaction(input(["registry_prefix"], { registryPrefix: "0000000000000010" }));
  assert.equal(registry.tunnels?.registryPrefix, "0000000000000010");
  const both = planReaction(input(["max_clients", "encrypt"], { maxClients: 5 }));
  assert.deepEqual(both.reasons.openvpnServers, ["max_clients", "encrypt"]);
  assert.deepEqual(both.reasons.clientTunnels, ["encrypt"]);
});

Deno.test("reaction: only a change of the node's shape restarts the whole daemon", () => {
  const cases: Array<[string, Partial<ReactionParams>, Partial<ReactionParams>]> = [
    ["max_clients", {}, { maxClients: 0 }], // servers disappear
    ["max_clients", { maxClients: 0 }, { maxClients: 4 }], // servers appear
    ["client_count", {}, { clientCount: 0 }], // full → base tunnel manager
    ["client_count", { clientCount: 0 }, { clientCount: 4 }], // base → full
  ];
  for (const [key, before, after] of cases) {
    const p = planReaction(input([key], after, { before: { ...PARAMS, ...before } }));
    assert.ok(p.restartDaemon, `${key} ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    assert.deepEqual(p.reasons.daemon, [key]);
  }
  const base = { ...PARAMS, clientCount: 0 };
  const i = input(["tunnel_refresh", "same_country"], { clientCount: 0, tunnelRefresh: 60 }, {
    before: base,
  });
  assert.deepEqual(restarts(i), [], "base tunnel manager ignores tunnel settings");
  assert.equal(planReaction(i).tunnels, undefined);
  // --client: no servers, no tunnels of its own, whatever the distributed counts say
  const clientMode = { cli: { clientCount: 0, maxClients: 0 } };
  const counts = input(["client_count", "max_clients"], { clientCount: 4, maxClients: 0 }, {
    ...clientMode,
  });
  assert.deepEqual(restarts(counts), []);
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
