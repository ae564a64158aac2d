/** IPv4 payload addressing (spec §5.5), pure. */
import assert from "node:assert/strict";
import { babelStatements } from "../../lib/node/babel/args.ts";
import {
  babelIpv4,
  formatIPv4,
  type Ipv4Assignment,
  ipv4Assignment,
  ipv4KernelPlan,
  openvpnIfconfig,
  parseIPv4,
} from "../../lib/node/lifecycle/ipv4_payload.ts";

function assigned(ipv4: unknown, sublen: unknown, serial: string | undefined): Ipv4Assignment {
  const r = ipv4Assignment(ipv4, sublen, serial);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r.value;
}

function disabled(ipv4: unknown, sublen: unknown, serial: string | undefined): string {
  const r = ipv4Assignment(ipv4, sublen, serial);
  assert.ok(!r.ok, `expected disabled for ${ipv4} ${sublen} ${serial}`);
  return r.reason;
}

Deno.test("statement 24: the spec's example shape NET/16 8, serial 3 ⇒ NET+3.1/24 (computation only)", () => {
  assert.deepEqual(assigned("198.19.0.0/16", 8, "3"), {
    network: "198.19.0.0/16",
    block: "198.19.3.0/24",
    address: "198.19.3.1",
    prefixLength: 24,
    netmask: "255.255.255.0",
  });
  assert.match(disabled("198.19.0.0/16", 8, "256"), /^IPv4 payload disabled: .*256/);
});

Deno.test("statement 24: 198.19.0.0/16 8 — address on tunnels, block announced, serial ≥ 256 disabled", () => {
  const a = assigned("198.19.0.0/16", 8, "3");
  assert.equal(a.block, "198.19.3.0/24", "announced");
  assert.deepEqual(openvpnIfconfig(a), { address: "198.19.3.1", netmask: "255.255.255.0" });
  assert.deepEqual(babelIpv4(a), { ip: "198.19.3.1", len: 24 });
  const st = babelStatements({
    hello: 4,
    logDir: "/l",
    stateDir: "/s",
    runDir: "/r",
    network: "2001:db8:42::/48",
    myIp: "2001:db8:42:5::1",
    subnetLen: 64,
    babelDefault: "",
    gateway: false,
    subtrees: true,
    extraArgs: [],
    tunnelInterfaces: [],
    lanInterfaces: [],
    ipv4: babelIpv4(a),
  });
  assert.ok(st.includes("redistribute ip 198.19.3.1/24 eq 24"));
  assert.ok(st.includes("install pref-src 198.19.3.1"));
  assert.equal(assigned("198.19.0.0/16", 8, "0").address, "198.19.0.1");
  assert.equal(assigned("198.19.0.0/16", 8, "255").address, "198.19.255.1");
  assert.match(disabled("198.19.0.0/16", 8, "256"), /IPv4 payload disabled/);
});

Deno.test("ipv4 payload: block sizes, /31 and /32, normalisation", () => {
  assert.equal(assigned("198.18.0.0/15", 16, "258").block, "198.18.2.4/31");
  assert.equal(assigned("198.18.0.0/15", 16, "258").address, "198.18.2.4", "n = 31: x itself");
  const host = assigned("198.19.0.0/16", 16, "513");
  assert.deepEqual([host.block, host.address, host.netmask], [
    "198.19.2.1/32",
    "198.19.2.1",
    "255.255.255.255",
  ]);
  const big = assigned("198.18.0.0/15", 3, "7");
  assert.deepEqual([big.block, big.address], ["198.19.192.0/18", "198.19.192.1"]);
  assert.equal(assigned("198.19.7.9/16", 8, "1").network, "198.19.0.0/16", "host bits dropped");
  assert.equal(assigned("198.19.0.0/16", 0, "0").address, "198.19.0.1", "PLEN 0: one node");
});

Deno.test("ipv4 payload: bad parameters disable it with a reason, never throw", () => {
  const bad: Array<[unknown, unknown, string | undefined, RegExp]> = [
    ["198.19.0.0/16", 17, "1", /> 16/],
    ["198.19.0.0/24", 16, "1", /exceeds 32/],
    ["198.19.0.0", 8, "1", /bad ipv4/],
    ["198.19.0.256/16", 8, "1", /bad ipv4/],
    ["198.19.0.0/33", 8, "1", /bad ipv4/],
    [42, 8, "1", /bad ipv4/],
    [undefined, 8, "1", /bad ipv4/],
    ["198.19.0.0/16", "8", "1", /bad ipv4_sublen/],
    ["198.19.0.0/16", -1, "1", /bad ipv4_sublen/],
    ["198.19.0.0/16", 1.5, "1", /bad ipv4_sublen/],
    ["198.19.0.0/16", 8, undefined, /serialNumber/],
    ["198.19.0.0/16", 8, "x1", /serialNumber/],
    ["198.19.0.0/16", 8, "-1", /serialNumber/],
    ["198.19.0.0/16", 8, "99999999999999999999", /≥ 2\^8/],
  ];
  for (const [ipv4, sublen, serial, why] of bad) {
    assert.match(disabled(ipv4, sublen, serial), why, `${ipv4} ${sublen} ${serial}`);
  }
  assert.equal(parseIPv4("198.18.0.1"), 0xc6120001);
  assert.equal(parseIPv4("1.2.3"), undefined);
  assert.equal(formatIPv4(0xc6130301), "198.19.3.1");
});

Deno.test("ipv4 payload: kernel plan with and without client tunnels", () => {
  const a = assigned("198.19.0.0/16", 8, "3");
  assert.deepEqual(ipv4KernelPlan(a, { clientTunnels: true, mainInterface: "lo" }), {
    routes: [["unreachable", "198.19.0.0/16", "proto", "static"]],
    addresses: [],
  });
  assert.deepEqual(ipv4KernelPlan(a, { clientTunnels: false, mainInterface: "lo" }), {
    routes: [
      ["unreachable", "198.19.0.0/16", "proto", "static"],
      ["unreachable", "198.19.3.0/24", "proto", "static"],
    ],
    addresses: [{ cidr: "198.19.3.1/32", dev: "lo" }],
  });
  assert.deepEqual(ipv4KernelPlan(a, { clientTunnels: false, mainInterface: "eth1" }).addresses, [
    { cidr: "198.19.3.1/24", dev: "eth1" },
  ]);
});
