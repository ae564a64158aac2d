import { strict as assert } from "node:assert";
import { parseFirewallArgs, sshLockout } from "../../lib/firewall/args.ts";
import { renderIptables } from "../../lib/firewall/iptables.ts";
import { renderNft } from "../../lib/firewall/nft.ts";
import { type FirewallInput, validateInput } from "../../lib/firewall/input.ts";

const base: FirewallInput = {
  servers: [{ port: 1194, proto: "udp" }, { port: 1194, proto: "tcp" }, {
    port: 1195,
    proto: "tcp6",
  }],
  tunnelInterfaces: ["re6stnet+"],
  lanInterfaces: ["eth1"],
  mainInterface: "lo",
  network: "2001:db8:42::/48",
  upnpGateway: "198.18.0.1",
  gateway: false,
  allow: [],
};

function inputLines(text: string): string[] {
  return text.split("\n").filter((l) => l.startsWith("-A INPUT"));
}

Deno.test("iptables: IPv4 servers, UPnP replies, ICMP, reject tail last", () => {
  const v4 = renderIptables(base, 4);
  assert.match(v4, /^\*filter$/m);
  assert.match(v4, /^:INPUT DROP \[0:0\]$/m);
  assert.match(v4, /^:FORWARD DROP \[0:0\]$/m);
  assert.match(v4, /^:OUTPUT ACCEPT \[0:0\]$/m);
  assert.match(v4, /^-A INPUT -p udp -m udp --dport 1194 .* -j ACCEPT$/m);
  assert.match(v4, /^-A INPUT -p tcp -m tcp --dport 1194 .* -j ACCEPT$/m);
  assert.doesNotMatch(v4, /--dport 1195/, "tcp6 server is not in the IPv4 table");
  assert.match(v4, /^-A INPUT -s 198\.18\.0\.1 -p udp -m udp --sport 1900 .* -j ACCEPT$/m);
  assert.match(v4, /--icmp-type echo-request/);
  assert.doesNotMatch(v4, /fe80|2001:db8|6696|326/, "no IPv6 rules in the IPv4 table");
  const lines = inputLines(v4);
  assert.match(lines.at(-2)!, /-p tcp .* -j REJECT --reject-with tcp-reset$/);
  assert.match(lines.at(-1)!, /-j REJECT --reject-with icmp-port-unreachable$/);
  assert.match(lines[0], /-i lo .* -j ACCEPT$/);
  assert.ok(v4.trimEnd().endsWith("COMMIT"));
});

Deno.test("ip6tables: babel on tunnels and -i, peer port, ND with hop limit 255, ICMPv6", () => {
  const v6 = renderIptables(base, 6);
  assert.match(
    v6,
    /^-A INPUT -i re6stnet\+ -s fe80::\/10 -p udp -m udp --dport 6696 .* -j ACCEPT$/m,
  );
  assert.match(v6, /^-A INPUT -i eth1 -s fe80::\/10 -p udp -m udp --dport 6696 .* -j ACCEPT$/m);
  assert.match(
    v6,
    /^-A INPUT -s 2001:db8:42::\/48 -d 2001:db8:42::\/48 -p udp -m udp --dport 326 .* -j ACCEPT$/m,
  );
  for (const t of ["neighbour-solicitation", "neighbour-advertisement"]) {
    assert.match(v6, new RegExp(`-m hl --hl-eq 255 -m icmp6 --icmpv6-type ${t} .* -j ACCEPT`));
  }
  for (
    const t of [
      "destination-unreachable",
      "packet-too-big",
      "time-exceeded",
      "parameter-problem",
      "echo-request",
    ]
  ) {
    assert.match(
      v6,
      new RegExp(`^-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${t} .*-j ACCEPT$`, "m"),
    );
  }
  assert.match(v6, /^-A INPUT -p tcp -m tcp --dport 1195 .* -j ACCEPT$/m);
  assert.doesNotMatch(v6, /--dport 1194/);
  assert.doesNotMatch(v6, /1900/);
  assert.match(inputLines(v6).at(-1)!, /icmp6-port-unreachable$/);
});

Deno.test("FORWARD: transit between every pair of re6st interfaces first, gateway rule", () => {
  const v6 = renderIptables({ ...base, mainInterface: "br0", gateway: true }, 6);
  const fwd = v6.split("\n").filter((l) => l.startsWith("-A FORWARD"));
  const transit = fwd.filter((l) => l.includes(`"re6st: re6st transit"`));
  assert.equal(transit.length, 9, "3 interfaces (re6stnet+, eth1, br0) → 9 pairs");
  assert.ok(fwd.indexOf(transit[8]) === 8, "transit rules come before any conntrack rule");
  assert.match(v6, /^-A FORWARD -i re6stnet\+ -s 2001:db8:42::\/48 .* -j ACCEPT$/m);
  assert.match(fwd.at(-1)!, /REJECT --reject-with icmp6-adm-prohibited$/);
  const plain = renderIptables(base, 6);
  assert.doesNotMatch(plain, /gateway/);
  assert.doesNotMatch(plain, /-o lo/, "lo is not a transit interface");
});

Deno.test("nft: one inet table replaced atomically, wildcards, families", () => {
  const nft = renderNft({ ...base, allow: [{ port: 22, proto: "tcp" }] });
  const lines = nft.split("\n");
  assert.deepEqual(lines.slice(1, 4), [
    "table inet re6st",
    "delete table inet re6st",
    "table inet re6st {",
  ]);
  assert.match(nft, /type filter hook input priority filter; policy drop;/);
  assert.match(nft, /type filter hook forward priority filter; policy drop;/);
  assert.match(nft, /type filter hook output priority filter; policy accept;/);
  assert.match(nft, /iifname "re6stnet\*" ip6 saddr fe80::\/10 udp dport 6696 accept/);
  assert.match(nft, /meta nfproto ipv4 udp dport 1194 accept/);
  assert.match(nft, /meta nfproto ipv6 tcp dport 1195 accept/);
  assert.match(nft, /\ttcp dport 22 accept/);
  assert.match(nft, /ip saddr 198\.18\.0\.1 udp sport 1900 accept/);
  assert.match(
    nft,
    /icmpv6 type \{ nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert \} ip6 hoplimit 255 accept/,
  );
  assert.match(nft, /iifname "re6stnet\*" oifname "re6stnet\*" accept/);
});

Deno.test("arguments: defaults, repeatable options, normalised network", () => {
  const c = parseFirewallArgs(["--network", "2001:db8:42:0::/48"]);
  assert.deepEqual(c.input.servers, [{ port: 1194, proto: "tcp" }]);
  assert.equal(c.input.network, "2001:db8:42::/48");
  assert.equal(c.format, "all");
  const d = parseFirewallArgs([
    "--network",
    "fd00:1::/32",
    "--pp",
    "1194",
    "udp4",
    "--pp",
    "443",
    "tcp6",
    "-i",
    "eth1",
    "-i",
    "eth2",
    "-I",
    "br0",
    "--gateway",
    "--allow",
    "22/tcp",
    "--apply",
    "--upnp-gateway",
    "198.18.0.1",
  ]);
  assert.deepEqual(d.input.servers, [{ port: 1194, proto: "udp" }, { port: 443, proto: "tcp6" }]);
  assert.deepEqual(d.input.lanInterfaces, ["eth1", "eth2"]);
  assert.equal(d.input.mainInterface, "br0");
  assert.equal(d.format, "iptables", "--apply defaults to iptables + ip6tables");
  assert.ok(d.apply && d.input.gateway);
});

Deno.test("arguments: bad input gives clear errors", () => {
  const bad: [string[], RegExp][] = [
    [[], /--network CIDR is required/],
    [["--network", "198.18.0.0/16"], /invalid network/],
    [["--network", "2001:db8::1/32"], /host bits/],
    [["--network", "2001:db8::/32", "--pp", "1194"], /needs a value/],
    [["--network", "2001:db8::/32", "--pp", "70000", "tcp"], /invalid port/],
    [["--network", "2001:db8::/32", "--pp", "1194", "sctp"], /invalid OpenVPN protocol/],
    [["--network", "2001:db8::/32", "-i", "eth0; rm -rf /"], /invalid interface/],
    [["--network", "2001:db8::/32", "-i", "averyveryverylongname"], /invalid interface/],
    [["--network", "2001:db8::/32", "-I", "re6stnet+"], /not a pattern/],
    [["--network", "2001:db8::/32", "--upnp-gateway", "198.18.0.300"], /invalid UPnP gateway/],
    [["--network", "2001:db8::/32", "--allow", "22"], /invalid service/],
    [["--network", "2001:db8::/32", "--format", "pf"], /--format must be/],
    [["--network", "2001:db8::/32", "--apply", "--format", "ip6tables"], /applies both/],
    [["--bogus"], /unknown argument/],
  ];
  for (const [args, re] of bad) assert.throws(() => parseFirewallArgs(args), re, args.join(" "));
  assert.throws(() => validateInput({ ...base, network: "nonsense" }), /invalid network/);
});

Deno.test("SSH lock-out guard", () => {
  assert.match(sshLockout(base, "198.18.0.9 50000 198.18.0.1 22")!, /--allow 22\/tcp/);
  assert.equal(
    sshLockout({ ...base, allow: [{ port: 22, proto: "tcp" }] }, "198.18.0.9 5 198.18.0.1 22"),
    undefined,
  );
  assert.equal(sshLockout(base, "198.18.0.9 5 198.18.0.1 1194"), undefined, "an open server port");
  assert.equal(sshLockout(base, undefined), undefined);
  assert.equal(sshLockout(base, "garbage"), undefined);
});

async function cli(args: string[]) {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "firewall", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

Deno.test("re6st firewall prints the chosen format; bad arguments exit 2 with the reason", async () => {
  const input = { ...base, servers: [{ port: 1194, proto: "tcp" as const }], lanInterfaces: [] };
  const v6 = await cli([
    "--network",
    "2001:db8:42::/48",
    "--upnp-gateway",
    "198.18.0.1",
    "--format",
    "ip6tables",
  ]);
  assert.equal(v6.code, 0, v6.err);
  assert.equal(v6.out, renderIptables(input, 6));
  const all = await cli(["--network", "2001:db8:42::/48", "--upnp-gateway", "198.18.0.1"]);
  assert.equal(
    all.out,
    [renderIptables(input, 4), renderIptables(input, 6), renderNft(input)].join("\n"),
  );
  const bad = await cli(["--network", "2001:db8:42::/48", "--pp", "1194", "sctp"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /invalid OpenVPN protocol 'sctp'/);
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /^usage: re6st firewall/);
});
