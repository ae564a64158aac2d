/**
 * Node lifecycle pieces on real namespaces (no full daemon): certificate renewal from a registry
 * across the test network with atomic file replacement (statement 18), the IPv4 payload kernel
 * plan with IPv4 pings between two babel nodes (statement 24), and a `--gateway` node's default
 * route installed source-specific on a non-gateway node (statements 60, 61).
 */
import assert from "node:assert/strict";
import { tryRun } from "../../lib/netns/exec.ts";
import type { IpRunner } from "../../lib/node/system/ip.ts";
import {
  applyIpv4Plan,
  removeIpv4Plan,
  setupIpv4Payload,
} from "../../lib/node/lifecycle/ipv4_kernel.ts";
import { checkGatewayRoutes } from "../../lib/node/lifecycle/gateway_check.ts";
import {
  babelIpv4,
  type Ipv4Assignment,
  ipv4Assignment,
  ipv4KernelPlan,
} from "../../lib/node/lifecycle/ipv4_payload.ts";
import {
  babelDefaultRoutes,
  gatewayWarnings,
  parseRoutes6,
} from "../../lib/node/lifecycle/gateway.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { NETWORK, startBabelNode } from "./babel_node.ts";

const HERE = new URL("../lifecycle/", import.meta.url).pathname;
const DAY = 86_400_000;

/** `ip` inside `host`'s namespace. */
function ipIn(host: Host): IpRunner {
  return async (args) => {
    const r = await tryRun(["ip", "-n", host.ns, ...args]);
    return { ok: r.code === 0, stdout: r.stdout, stderr: r.stderr };
  };
}

async function ipOut(host: Host, args: string[]): Promise<string> {
  return (await ipIn(host)(args)).stdout;
}

Deno.test("statement 18 (namespaced): a node renews its certificate from the registry, atomically", async () => {
  if (!canRunNetTests("lifecycle renewal")) return;
  await withNet("lifecycle renewal", async (net) => {
    const [reg, node] = [await net.host("reg"), await net.host("node")];
    await net.link(reg, node, { a: "198.18.0.1/24", b: "198.18.0.2/24" });
    const ca = await createTestCa();
    const key = await generateRsaKey(2048);
    const before = await createTestNode(ca.signer, "0000000000000111", {
      keyPem: key,
      notBefore: new Date(Date.now() - 360 * DAY),
      notAfter: new Date(Date.now() + 5 * DAY),
    });
    const dir = `${net.tmpDir}/node`;
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
    await Deno.writeTextFile(`${dir}/cert.key`, key, { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/cert.crt`, before.certPem);
    await Deno.chmod(`${dir}/cert.crt`, 0o640);
    await Deno.chown(`${dir}/cert.crt`, 65534, 65534);
    await Deno.writeTextFile(`${net.tmpDir}/ca.key`, ca.keyPem, { mode: 0o600 });
    await net.spawn(reg, [
      Deno.execPath(),
      "run",
      "-A",
      `${HERE}renewal_registry.ts`,
      `${dir}/ca.crt`,
      `${net.tmpDir}/ca.key`,
      "198.18.0.1",
      "8080",
      `${dir}/cert.crt`,
    ], { name: "registry" });

    // a reader keeps reading cert.crt during the renewal: it must always see a whole certificate
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        parseNodeCertificate(await Deno.readTextFile(`${dir}/cert.crt`));
        reads++;
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    let result: { certRenewed: boolean; nextCheck: number } | undefined;
    try {
      result = await waitFor(async () => {
        const r = await tryRun([
          Deno.execPath(),
          "run",
          "-A",
          `${HERE}renew_once.ts`,
          "http://198.18.0.1:8080/",
          dir,
        ], { ns: node.ns });
        const last = r.stdout.trim().split("\n").pop() ?? "";
        const parsed = last.startsWith("{") ? JSON.parse(last) : undefined;
        return parsed?.certRenewed ? parsed : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500, what: "node renews across the network" });
    } finally {
      reading = false;
      await reader;
    }
    assert.ok(reads > 0);
    const after = parseNodeCertificate(await Deno.readTextFile(`${dir}/cert.crt`));
    assert.equal(after.cn, before.cert.cn);
    assert.notEqual(after.serial, before.cert.serial);
    assert.ok(after.notAfter.getTime() > Date.now() + 360 * DAY);
    assert.ok(result!.nextCheck > Date.now() + 300 * DAY);
    const st = await Deno.stat(`${dir}/cert.crt`);
    assert.deepEqual([st.mode! & 0o777, st.uid, st.gid], [0o640, 65534, 65534]);
    await assert.rejects(Deno.stat(`${dir}/cert.crt.new`), Deno.errors.NotFound);
  });
});

function assignment(serial: string): Ipv4Assignment {
  const r = ipv4Assignment("198.19.0.0/16", 8, serial);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

Deno.test("statement 24 (namespaced): IPv4 payload kernel plan, announced by babel, IPv4 pings", async () => {
  if (!canRunNetTests("lifecycle ipv4")) return;
  await withNet("lifecycle ipv4", async (net) => {
    const [a, b] = [await net.host("a"), await net.host("b")];
    await net.link(a, b, { a: "198.18.0.1/24", b: "198.18.0.2/24" });
    const [pa, pb] = [assignment("3"), assignment("4")];
    const plans = [pa, pb].map((p) =>
      ipv4KernelPlan(p, { clientTunnels: false, mainInterface: "lo" })
    );
    // the daemon's start-up step; a disabled payload changes nothing and says why
    const said: string[] = [];
    const log = { warn: (m: string) => said.push(m), info: () => {} };
    const params = { ipv4: "198.19.0.0/16", ipv4Sublen: 8 };
    const base = { clientTunnels: false, mainInterface: "lo" };
    assert.equal(await setupIpv4Payload(params, "256", base, log, ipIn(a)), undefined);
    assert.match(said.join(), /IPv4 payload disabled/);
    assert.doesNotMatch(await ipOut(a, ["-4", "route", "show"]), /198\.19/);
    const setup = await setupIpv4Payload(params, "3", base, log, ipIn(a));
    assert.deepEqual(setup, { assignment: pa, plan: plans[0] });
    await applyIpv4Plan(plans[1], ipIn(b));
    await applyIpv4Plan(plans[0], ipIn(a)); // idempotent

    const routes = await ipOut(a, ["-4", "route", "show"]);
    assert.match(routes, /^unreachable 198\.19\.0\.0\/16 proto static/m);
    assert.match(routes, /^unreachable 198\.19\.3\.0\/24 proto static/m);
    assert.match(await ipOut(a, ["-4", "addr", "show", "dev", "lo"]), /inet 198\.19\.3\.1\/32/);
    assert.ok(await net.ping(a, "198.19.3.1"), "own payload address answers");
    const lost = await ipIn(a)(["-4", "route", "get", "198.19.9.1"]);
    assert.ok(
      !lost.ok && /No route to host|unreachable/i.test(lost.stderr),
      "other payload blocks unreachable",
    );

    await startBabelNode(net, a, 1, ["eth0"], { ipv4: babelIpv4(pa) });
    await startBabelNode(net, b, 2, ["eth0"], { ipv4: babelIpv4(pb) });
    await waitFor(async () =>
      /198\.19\.3\.0\/24 .*proto babel/.test(
        await ipOut(b, ["-4", "route", "show"]),
      ), { timeoutMs: 20_000, what: "b learns a's payload block" });
    const got = await ipOut(b, ["-4", "route", "get", "198.19.3.1"]);
    assert.match(got, /src 198\.19\.4\.1/, "installed with pref-src = our payload address");
    await waitFor(() => net.ping(b, "198.19.3.1"), { timeoutMs: 20_000, what: "b pings a (IPv4)" });
    await waitFor(() => net.ping(a, "198.19.4.1"), { timeoutMs: 20_000, what: "a pings b (IPv4)" });

    await removeIpv4Plan(plans[0], ipIn(a));
    const left = await ipOut(a, ["-4", "route", "show"]);
    assert.doesNotMatch(left, /unreachable 198\.19\./);
    assert.doesNotMatch(await ipOut(a, ["-4", "addr", "show", "dev", "lo"]), /198\.19\./);
  });
});

Deno.test("statements 60, 61 (namespaced): a gateway's default route is installed only as `from NET`", async () => {
  if (!canRunNetTests("lifecycle gateway")) return;
  await withNet("lifecycle gateway", async (net) => {
    const [g, n] = [await net.host("g"), await net.host("n")];
    await net.link(g, n);
    // the gateway's own uplink and default route (what --gateway exports)
    // (a veth pair stands for the uplink: this kernel has no dummy interfaces)
    await ipIn(g)(["link", "add", "up0", "type", "veth", "peer", "name", "up1"]);
    await ipIn(g)(["link", "set", "up1", "up"]);
    await ipIn(g)(["link", "set", "up0", "up"]);
    await ipIn(g)(["-6", "addr", "add", "fd00:ffff::1/64", "dev", "up0", "nodad"]);
    const defaultRoute = (proto: string[]) =>
      ipIn(g)(["-6", "route", "replace", "default", "via", "fd00:ffff::2", "dev", "up0", ...proto]);
    const gatewayCheck = () =>
      checkGatewayRoutes({ gateway: true, subtrees: true, network: NETWORK }, {
        warn: () => {},
      }, ipIn(g));
    assert.ok((await defaultRoute([])).ok);
    const G = await startBabelNode(net, g, 1, ["eth0"], { gateway: true });
    await startBabelNode(net, n, 2, ["eth0"], { gateway: false });
    // `ip route add` makes a `proto boot` route, which stock babeld never exports: warned
    assert.match((await gatewayCheck()).join(), /protocol boot/);
    const xroutes = async () => (await G.babeld.socket.request("dump")).lines.join("\n");
    await waitFor(async () => (await xroutes()).includes("xroute 2001:db8:42:1::/64"), {
      timeoutMs: 10_000,
      what: "g exports its own subnet",
    });
    assert.doesNotMatch(await xroutes(), /xroute ::\/0/);
    assert.ok((await defaultRoute(["proto", "static"])).ok);
    assert.deepEqual(await gatewayCheck(), []);
    await waitFor(async () => /xroute ::\/0-2001:db8:42::\/48 /.test(await xroutes()), {
      timeoutMs: 10_000,
      what: "g exports ::/0 from the network",
    });

    const routes = await waitFor(async () => {
      const r = parseRoutes6(await ipOut(n, ["-6", "route", "show"]));
      return babelDefaultRoutes(r, NETWORK).fromNetwork.length ? r : undefined;
    }, { timeoutMs: 20_000, what: "n installs the gateway's default route" });
    const split = babelDefaultRoutes(routes, NETWORK);
    assert.equal(split.fromNetwork[0].dev, "eth0");
    assert.deepEqual(split.other, [], "no plain default route");
    assert.deepEqual(
      gatewayWarnings({ gateway: false, subtrees: true, network: NETWORK, routes }),
      [],
    );
    // traffic from the re6st network goes to the gateway; other sources do not use re6st
    const inside = await ipIn(n)([
      "-6",
      "route",
      "get",
      "2001:db8:ffff::1",
      "from",
      G.ip.replace(/1$/, "5"),
    ]);
    assert.ok(inside.ok && /dev eth0/.test(inside.stdout), inside.stdout + inside.stderr);
    const outside = await ipIn(n)(["-6", "route", "get", "2001:db8:ffff::1", "from", "fd00:1::1"]);
    assert.ok(!outside.ok || !/dev eth0/.test(outside.stdout), outside.stdout);
  });
});
