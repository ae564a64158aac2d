/**
 * `re6st firewall --apply` in a namespace, checked with real traffic from a second namespace
 * joined by a veth: allowed ports answer, closed ports are rejected at once (REJECT, so the
 * probe gets a TCP reset / ICMP unreachable instead of waiting), ICMPv6 echo passes, UDP 326
 * is open only between re6st addresses, babel hellos pass on a tunnel-named interface (B learns
 * A's address from A's babeld and pings it), and the loaded rules are visible to
 * iptables-save / nft.
 */
import { strict as assert } from "node:assert";
import { inNs, type NsProcess, removeNamespaces, sh, startInNs } from "../firewall/netns.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const PROBE = new URL("../firewall/fixtures/probe.ts", import.meta.url).pathname;
const PREFIX = "r6fw";
const deno = Deno.execPath();

/** A REJECTed probe comes back well before this; a DROPped one would hit it. */
const PROBE_MS = "1500";

async function probe(
  ns: string,
  kind: "tcp" | "udp",
  addr: string,
  port: number,
  source: string[] = [],
) {
  return (await inNs(ns, deno, "run", "-A", PROBE, kind, addr, String(port), PROBE_MS, ...source))
    .trim();
}

/** Polls `check` until it holds (bounded). */
async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const format of ["iptables", "nft"] as const) {
  Deno.test(`firewall --apply (${format}) opens what a node needs and closes the rest`, async () => {
    if (Deno.uid() !== 0) {
      console.log("skipping: namespaced firewall test needs root");
      return;
    }
    const run = `${PREFIX}${format[0]}${Deno.pid % 100000}`;
    await removeNamespaces(`${PREFIX}${format[0]}`);
    const [a, b] = [`${run}a`, `${run}b`];
    const procs: NsProcess[] = [];
    try {
      for (const ns of [a, b]) {
        await sh("ip", "netns", "add", ns);
        await inNs(ns, "ip", "link", "set", "lo", "up");
        // Link-local addresses usable at once (babel needs them).
        await inNs(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0");
      }
      await sh(
        "ip",
        "link",
        "add",
        "re6stnet9",
        "netns",
        a,
        "type",
        "veth",
        "peer",
        "r6fwB",
        "netns",
        b,
      );
      const addrs: [string, string, string, string, string][] = [
        [a, "re6stnet9", "198.18.7.1/24", "2001:db8:42::1/64", "fd00:7::1/64"],
        [b, "r6fwB", "198.18.7.2/24", "2001:db8:42::2/64", "fd00:7::2/64"],
      ];
      for (const [ns, dev, v4, v6, ula] of addrs) {
        await inNs(ns, "ip", "addr", "add", v4, "dev", dev);
        if (ns === b) await inNs(ns, "ip", "addr", "add", "198.18.7.254/24", "dev", dev);
        await inNs(ns, "ip", "addr", "add", v6, "dev", dev, "nodad");
        await inNs(ns, "ip", "addr", "add", ula, "dev", dev, "nodad");
        await inNs(ns, "ip", "link", "set", dev, "up");
      }
      for (const addr of ["198.18.7.1", "2001:db8:42::1", "fd00:7::1"]) {
        procs.push(
          await startInNs(
            a,
            "ready",
            10000,
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
          ),
        );
      }

      // Before: everything answers.
      assert.equal(await probe(b, "tcp", "198.18.7.1", 2222), "open");

      await inNs(
        a,
        deno,
        "run",
        "-A",
        `${ROOT}main.ts`,
        "firewall",
        "--apply",
        "--format",
        format,
        "--network",
        "2001:db8:42::/48",
        "--pp",
        "1194",
        "tcp",
        "--pp",
        "1195",
        "tcp6",
        "--upnp-gateway",
        "198.18.7.254",
      );

      // Babel over a re6st interface (A's end is named like a tunnel): B learns A's address.
      for (const [ns, dev] of [[a, "re6stnet9"], [b, "r6fwB"]]) {
        procs.push(
          await startInNs(
            ns,
            "",
            0,
            "babeld",
            "-I",
            "",
            "-S",
            "",
            "-L",
            "/dev/null",
            "-h",
            "1",
            "-H",
            "1",
            "-C",
            "redistribute local deny",
            "-C",
            "redistribute ip 2001:db8:42:a::1/128",
            dev,
          ),
        );
      }
      await inNs(a, "ip", "addr", "add", "2001:db8:42:a::1/128", "dev", "lo");
      await waitFor(
        async () =>
          (await inNs(b, "ip", "-6", "route", "show", "proto", "babel"))
            .includes("2001:db8:42:a::1 via fe80::"),
        15000,
        "B learns A's route over babel",
      );
      await inNs(b, "ping", "-6", "-c", "1", "-W", "2", "2001:db8:42:a::1");

      assert.equal(await probe(b, "tcp", "198.18.7.1", 1194), "open", "OpenVPN tcp port (IPv4)");
      assert.equal(await probe(b, "tcp", "2001:db8:42::1", 1195), "open", "OpenVPN tcp6 port");
      assert.equal(await probe(b, "tcp", "198.18.7.1", 2222), "refused", "closed port, IPv4");
      assert.equal(await probe(b, "tcp", "2001:db8:42::1", 2222), "refused", "closed port, IPv6");
      assert.equal(
        await probe(b, "tcp", "2001:db8:42::1", 1194),
        "refused",
        "tcp server is IPv4 only",
      );
      assert.equal(
        await probe(b, "udp", "2001:db8:42::1", 326),
        "open",
        "peer protocol in network",
      );
      assert.equal(
        await probe(b, "udp", "fd00:7::1", 326),
        "refused",
        "peer protocol outside network",
      );
      assert.equal(await probe(b, "udp", "198.18.7.1", 1194), "refused", "no udp server");

      await inNs(b, "ping", "-6", "-c", "1", "-W", "2", "2001:db8:42::1");

      // UPnP IGD replies: UDP from the gateway's port 1900 only (B plays the gateway).
      const gw = ["198.18.7.254"];
      assert.equal(
        await probe(b, "udp", "198.18.7.1", 1195, [...gw, "1900"]),
        "open",
        "SSDP reply",
      );
      assert.equal(
        await probe(b, "udp", "198.18.7.1", 1195, [...gw, "1901"]),
        "refused",
        "not 1900",
      );
      assert.equal(
        await probe(b, "udp", "198.18.7.1", 1195, ["198.18.7.2", "1900"]),
        "refused",
        "1900 but not from the gateway",
      );

      if (format === "iptables") {
        const v4 = await inNs(a, "iptables-save");
        assert.match(v4, /^:INPUT DROP/m);
        assert.match(v4, /-A INPUT -p tcp -m tcp --dport 1194 .*-j ACCEPT/);
        assert.match(v4, /-A INPUT -s 198\.18\.7\.254\/32 -p udp -m udp --sport 1900 .*-j ACCEPT/);
        const v6 = await inNs(a, "ip6tables-save");
        assert.match(v6, /-A INPUT -p tcp -m tcp --dport 1195 .*-j ACCEPT/);
        assert.match(
          v6,
          /-A INPUT -s fe80::\/10 -i re6stnet\+ -p udp -m udp --dport 6696 .*-j ACCEPT/,
        );
        assert.match(v6, /-A FORWARD -i re6stnet\+ -o re6stnet\+ .*-j ACCEPT/);
      } else {
        const t = await inNs(a, "nft", "list", "table", "inet", "re6st");
        assert.match(t, /tcp dport 1194 accept/);
        assert.match(t, /iifname "re6stnet\*" ip6 saddr fe80::\/10 udp dport 6696 accept/);
      }

      // Applying again replaces the rules instead of stacking them.
      await inNs(
        a,
        deno,
        "run",
        "-A",
        `${ROOT}main.ts`,
        "firewall",
        "--apply",
        "--format",
        format,
        "--network",
        "2001:db8:42::/48",
        "--pp",
        "1194",
        "tcp",
        "--allow",
        "2222/tcp",
      );
      assert.equal(await probe(b, "tcp", "198.18.7.1", 2222), "open", "newly allowed");
      assert.equal(await probe(b, "tcp", "2001:db8:42::1", 1195), "refused", "no longer a server");
      const listing = format === "iptables"
        ? await inNs(a, "ip6tables-save")
        : await inNs(a, "nft", "list", "ruleset");
      assert.equal(listing.match(/re6st: loopback/g)?.length, 1);
    } finally {
      for (const p of procs) await p.kill();
      for (const ns of [a, b]) await sh("ip", "netns", "del", ns).catch(() => {});
    }
  });
}
