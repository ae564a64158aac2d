/**
 * `re6st firewall --apply` in a namespace, checked with real traffic from a second namespace
 * joined by a veth: allowed ports answer, closed ports are rejected at once (REJECT, so the
 * probe gets a TCP reset / ICMP unreachable instead of waiting), ICMPv6 echo passes, UDP 326
 * is open only between re6st addresses, UPnP replies only from the gateway's port 1900, babel
 * hellos pass on a tunnel-named interface (B learns A's address from A's babeld and pings it),
 * and the loaded rules are visible to iptables-save / nft.
 */
import { strict as assert } from "node:assert";
import { canRunNetTests, type Host, waitFor, withNet } from "./harness.ts";
import { addVeth } from "../../lib/netns/netns.ts";
import { run } from "../../lib/netns/exec.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const PROBE = new URL("../firewall/fixtures/probe.ts", import.meta.url).pathname;
const deno = Deno.execPath();

/** A REJECTed probe comes back well before this; a DROPped one would hit it. */
const PROBE_MS = "1500";

async function probe(
  host: Host,
  kind: "tcp" | "udp",
  addr: string,
  port: number,
  source: string[] = [],
): Promise<string> {
  const argv = [deno, "run", "-A", PROBE, kind, addr, String(port), PROBE_MS, ...source];
  return (await run(argv, { ns: host.ns })).trim();
}

function firewall(host: Host, ...args: string[]): Promise<string> {
  return run([deno, "run", "-A", `${ROOT}main.ts`, "firewall", "--apply", ...args], {
    ns: host.ns,
  });
}

for (const format of ["iptables", "nft"] as const) {
  Deno.test(`firewall --apply (${format}) opens what a node needs and closes the rest`, async () => {
    if (!canRunNetTests("firewall")) return;
    await withNet(`firewall-${format}`, async (net) => {
      const a = await net.host("a");
      const b = await net.host("b");
      // A's end is named like a client tunnel, so the re6stnet+ rules apply to it.
      await addVeth(a.ns, "re6stnet9", b.ns, "eth0");
      for (
        const [h, dev, v4, v6, ula] of [
          [a, "re6stnet9", "198.18.7.1/24", "2001:db8:42::1/64", "fd00:7::1/64"],
          [b, "eth0", "198.18.7.2/24", "2001:db8:42::2/64", "fd00:7::2/64"],
        ] as const
      ) {
        for (const cidr of [v4, v6, ula]) await net.addr(h, dev, cidr);
      }
      await net.addr(b, "eth0", "198.18.7.254/24"); // B also plays the UPnP gateway
      for (const addr of ["198.18.7.1", "2001:db8:42::1", "fd00:7::1"]) {
        const p = await net.spawn(a, [
          deno,
          "run",
          "-A",
          PROBE,
          "listen",
          addr,
          "1194",
          "1195",
          "2222",
          "326",
        ], {
          name: `listen-${addr}`,
        });
        await waitFor(async () => (await Deno.readTextFile(p.logFile)).includes("ready"), {
          timeoutMs: 10000,
          what: `listeners on ${addr}`,
        });
      }

      // Before: everything answers.
      assert.equal(await probe(b, "tcp", "198.18.7.1", 2222), "open");

      await firewall(
        a,
        ...["--format", format, "--network", "2001:db8:42::/48", "--pp", "1194", "tcp"],
        ...["--pp", "1195", "tcp6", "--upnp-gateway", "198.18.7.254"],
      );

      // Babel over the tunnel-named interface: B learns A's address and reaches it.
      for (const [h, dev] of [[a, "re6stnet9"], [b, "eth0"]] as const) {
        await net.spawn(h, [
          "babeld",
          ...["-I", "", "-S", "", "-L", "/dev/null", "-h", "1", "-H", "1"],
          ...["-C", "redistribute local deny", "-C", "redistribute ip 2001:db8:42:a::1/128"],
          dev,
        ], { name: "babeld" });
      }
      await net.addr(a, "lo", "2001:db8:42:a::1/128");
      await waitFor(
        async () =>
          (await run(["ip", "-6", "route", "show", "proto", "babel"], { ns: b.ns }))
            .includes("2001:db8:42:a::1 via fe80::"),
        { timeoutMs: 15000, intervalMs: 200, what: "B learning A's route over babel" },
      );
      assert.ok(await net.ping(b, "2001:db8:42:a::1"), "ping over the babel route");

      const expect = async (got: Promise<string>, want: string, what: string) =>
        assert.equal(await got, want, what);
      await expect(probe(b, "tcp", "198.18.7.1", 1194), "open", "OpenVPN tcp port (IPv4)");
      await expect(probe(b, "tcp", "2001:db8:42::1", 1195), "open", "OpenVPN tcp6 port");
      await expect(probe(b, "tcp", "198.18.7.1", 2222), "refused", "closed port, IPv4");
      await expect(probe(b, "tcp", "2001:db8:42::1", 2222), "refused", "closed port, IPv6");
      await expect(probe(b, "tcp", "2001:db8:42::1", 1194), "refused", "tcp server is IPv4 only");
      await expect(probe(b, "udp", "2001:db8:42::1", 326), "open", "peer protocol in network");
      await expect(probe(b, "udp", "fd00:7::1", 326), "refused", "peer protocol outside network");
      await expect(probe(b, "udp", "198.18.7.1", 1194), "refused", "no udp server");
      assert.ok(await net.ping(b, "2001:db8:42::1"), "ICMPv6 echo");

      // UPnP IGD replies: UDP from the gateway's port 1900 only.
      const gw = "198.18.7.254";
      await expect(probe(b, "udp", "198.18.7.1", 1195, [gw, "1900"]), "open", "SSDP reply");
      await expect(probe(b, "udp", "198.18.7.1", 1195, [gw, "1901"]), "refused", "not 1900");
      await expect(
        probe(b, "udp", "198.18.7.1", 1195, ["198.18.7.2", "1900"]),
        "refused",
        "1900 but not from the gateway",
      );

      if (format === "iptables") {
        const v4 = await run(["iptables-save"], { ns: a.ns });
        assert.match(v4, /^:INPUT DROP/m);
        assert.match(v4, /-A INPUT -p tcp -m tcp --dport 1194 .*-j ACCEPT/);
        assert.match(v4, /-A INPUT -s 198\.18\.7\.254\/32 -p udp -m udp --sport 1900 .*-j ACCEPT/);
        const v6 = await run(["ip6tables-save"], { ns: a.ns });
        assert.match(v6, /-A INPUT -p tcp -m tcp --dport 1195 .*-j ACCEPT/);
        assert.match(
          v6,
          /-A INPUT -s fe80::\/10 -i re6stnet\+ -p udp -m udp --dport 6696 .*ACCEPT/,
        );
        assert.match(v6, /-A FORWARD -i re6stnet\+ -o re6stnet\+ .*-j ACCEPT/);
      } else {
        const t = await run(["nft", "list", "table", "inet", "re6st"], { ns: a.ns });
        assert.match(t, /tcp dport 1194 accept/);
        assert.match(t, /iifname "re6stnet\*" ip6 saddr fe80::\/10 udp dport 6696 accept/);
      }

      // Applying again replaces the rules instead of stacking them.
      await firewall(
        a,
        ...["--format", format, "--network", "2001:db8:42::/48", "--pp", "1194", "tcp"],
        ...["--allow", "2222/tcp"],
      );
      await expect(probe(b, "tcp", "198.18.7.1", 2222), "open", "newly allowed");
      await expect(probe(b, "tcp", "2001:db8:42::1", 1195), "refused", "no longer a server");
      const listing = await run(
        format === "iptables" ? ["ip6tables-save"] : ["nft", "list", "ruleset"],
        {
          ns: a.ns,
        },
      );
      assert.equal(listing.match(/re6st: loopback/g)?.length, 1);
    });
  });
}
