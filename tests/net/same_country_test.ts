/**
 * Statement 58 end to end (spec §10.4, §10.8, §2.2): the registry runs with `--same-country FR`
 * and a GeoIP database (a fixture MaxMind DB placing each host's 198.18.1.x address in FR, DE
 * or JP); nodes run without `--country`, so each learns its country from the registry's
 * `getCountry` and advertises it as the 4th address field, and `re6st conf` (no `--location`)
 * places each machine in its community by the GeoIP of its address (spec §5.3). With real
 * OpenVPN tunnels:
 * - FR nodes (registry node, fr1, fr2) only ever run OpenVPN clients to FR endpoints;
 * - the other nodes (de1, de2, jp1) never run one to an FR endpoint;
 * - the two groups still reach each other: fr2 and de1 are babel neighbours on the LAN (`-i`),
 *   the only crossing the topology allows, and every node pings every other one.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { OverlayNode } from "../../lib/demo/overlay.ts";
import { matrixTable, watchConvergence } from "../../lib/demo/reachability.ts";
import { parseAddresses } from "../../lib/wire/address.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { countryRecord, writeMmdb } from "../geoip/mmdb_writer.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { targetsOf } from "./router_network.ts";
import { openvpnClientRemotes, testOverlay } from "./test_overlay.ts";

const COUNTRY: Record<string, [string, string]> = {
  registry: ["FR", "EU"],
  fr1: ["FR", "EU"],
  fr2: ["FR", "EU"],
  de1: ["DE", "EU"],
  de2: ["DE", "EU"],
  jp1: ["JP", "AS"],
};

/** Remote IPs of the OpenVPN clients running on the node's host. */
function clientRemotes(node: OverlayNode): Promise<string[]> {
  return openvpnClientRemotes(node.host.ns);
}

/** The node's advertised address string (its cache row ''). */
function advertised(node: OverlayNode): string {
  const db = new DatabaseSync(`${node.dir}/state/cache.db`, { readOnly: true });
  try {
    const row = db.prepare("SELECT address FROM peer WHERE prefix = ''").get() as
      | { address: string }
      | undefined;
    return row?.address ?? "";
  } finally {
    db.close();
  }
}

Deno.test("statement 58: with same_country FR, FR nodes only tunnel to FR endpoints, others never to FR", async () => {
  if (!canRunNetTests("same_country")) return;
  await withNet("samecc", async (net) => {
    const hosts: Host[] = [];
    for (const name of Object.keys(COUNTRY)) hosts.push(await net.host(name));
    const sw = await net.switch("lan", hosts);
    const ip = (h: Host) => sw.members.get(h)!.ip;
    const countryOfIp = new Map(hosts.map((h) => [ip(h), COUNTRY[h.name][0]]));

    const mmdb = `${net.tmpDir}/GeoLite2-Country.mmdb`;
    await Deno.writeFile(
      mmdb,
      writeMmdb(
        hosts.map((h) => ({ cidr: `${ip(h)}/32`, value: countryRecord(...COUNTRY[h.name]) })),
        { ipv4Aliases: ["::ffff:0:0/96"] },
      ),
    );
    // spec §5.3: `re6st conf` sends no location, so the registry places each machine by the GeoIP
    // of the address it connects from
    const communities = `${net.tmpDir}/community.conf`;
    await Deno.writeTextFile(communities, "000 *\n010 FR\n001 @AS\n");
    const overlay = await testOverlay(net, {
      registryArgs: ["--same-country", "FR", "--geoip", mmdb, "--community", communities],
    });
    const registry = await overlay.startRegistry(hosts[0], ip(hosts[0]));
    const others = await Promise.all(hosts.slice(1).map((h) => overlay.addNode(h, [ip(h)])));
    const nodes = [registry, ...others];
    const byName = (name: string) => nodes.find((n) => n.host.name === name)!;
    const community: Record<string, string> = { FR: "010", DE: "000", JP: "001" };
    for (const node of nodes) {
      const bits = cnToBits(node.cn);
      assert.ok(
        bits.startsWith(community[COUNTRY[node.host.name][0]]),
        `${node.host.name}: prefix ${bits} in the community of ${COUNTRY[node.host.name]}`,
      );
    }
    const lanBridge = new Set(["fr2", "de1"]);
    await Promise.all(nodes.map(async (node) => {
      const extra = lanBridge.has(node.host.name) ? ["-i", "eth0"] : [];
      node.proc = await net.spawn(node.host as Host, [...node.args(), ...extra], {
        name: "node",
        logFile: `${node.logDir}/node.out`,
      });
    }));

    // every OpenVPN client ever seen, sampled while the network converges and afterwards
    const seen = new Map<string, Set<string>>(nodes.map((n) => [n.host.name, new Set()]));
    const sample = async () => {
      for (const node of nodes) {
        for (const remote of await clientRemotes(node)) seen.get(node.host.name)!.add(remote);
      }
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    try {
      const names = nodes.map((n) => n.host.name);
      const all = await watchConvergence(targetsOf(nodes), 240_000);
      assert.ok(all.complete, `all pairs:\n${matrixTable(names, all.matrix)}`);
      console.log(`all pairs ping after ${all.ms} ms`);
      // the isolated non-FR nodes can only have come in through a tunnel of their own
      await waitFor(async () => {
        await sample();
        return seen.get("de2")!.size > 0 && seen.get("jp1")!.size > 0;
      }, { timeoutMs: 30_000, what: "de2 and jp1 to run client tunnels" });
    } finally {
      sampling = false;
      await sampler;
    }
    await sample();

    for (const [name, remotes] of seen) {
      const french = COUNTRY[name][0] === "FR";
      for (const remote of remotes) {
        const theirs = countryOfIp.get(remote);
        assert.ok(theirs, `${name}: tunnel to ${remote}, not a node of this test`);
        if (french) assert.equal(theirs, "FR", `${name} (FR) tunnelled to ${remote} (${theirs})`);
        else assert.notEqual(theirs, "FR", `${name} (${COUNTRY[name][0]}) tunnelled to ${remote}`);
      }
      console.log(`${name}: client tunnels to ${[...remotes].join(", ") || "(none)"}`);
    }
    const frTunnels = ["registry", "fr1", "fr2"].flatMap((n) => [...seen.get(n)!]);
    assert.ok(frTunnels.length > 0, "FR nodes tunnel among themselves");

    // the country from getCountry is advertised as the 4th field of every endpoint
    for (const node of nodes) {
      const endpoints = parseAddresses(advertised(node));
      assert.ok(endpoints.length > 0, `${node.host.name} advertises an address`);
      for (const e of endpoints) {
        assert.equal(e.ip, ip(node.host as Host));
        assert.equal(e.country, COUNTRY[node.host.name][0], `${node.host.name}: ${e.ip}`);
      }
    }
    assert.match(
      await Deno.readTextFile(`${byName("registry").logDir}/registry.log`),
      /GeoIP database .*GeoLite2-Country\.mmdb/,
    );
  });
});
