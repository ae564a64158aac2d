import { strict as assert } from "node:assert";
import { type ConfigFiles, parseFirewallArgs, sshLockout } from "../../lib/firewall/args.ts";
import { createTestCa } from "../../lib/pki/testing.ts";
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

/** Parses arguments that must describe rules (not --help). */
function rulesCommand(args: string[], files?: ConfigFiles) {
  const c = parseFirewallArgs(args, files);
  if (c.help) throw new Error("unexpected --help");
  return c;
}

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
  const c = rulesCommand(["--network", "2001:db8:42:0::/48"]);
  assert.deepEqual(c.input.servers, [{ port: 1194, proto: "tcp" }]);
  assert.equal(c.input.network, "2001:db8:42::/48");
  assert.equal(c.format, "all");
  const d = rulesCommand([
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
    [[], /--network CIDR \(or the node's @re6stnet.conf\) is required/],
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

/** In-memory node files: `@name` includes and the CA certificate. */
function memoryFiles(files: Record<string, string>): ConfigFiles {
  const get = (path: string) => {
    if (!(path in files)) throw new Deno.errors.NotFound(`no such file ${path}`);
    return files[path];
  };
  return { read: (path) => ({ id: path, text: get(path) }), readText: get };
}

const NODE_CONF = [
  "registry http://198.18.0.1/",
  "ca ca.crt",
  "cert cert.crt",
  "key cert.key",
].join("\n");

Deno.test("node configuration: servers, interfaces, gateway and the network from the CA", async () => {
  const { certPem } = await createTestCa();
  const conf = NODE_CONF + "\n" + [
    "disable-proto none",
    "pp 1195 tcp",
    "pp 1196 tcp",
    "pp 1194 udp6",
    "i eth1",
    "main-interface br0",
    "gateway",
    "",
  ].join("\n");
  const files = memoryFiles({ "re6stnet.conf": conf, "ca.crt": certPem });
  const c = rulesCommand(["@re6stnet.conf", "--allow", "22/tcp", "--format", "nft"], files);
  assert.equal(c.input.network, "2001:db8:42::/48");
  assert.deepEqual(c.input.servers, [{ port: 1195, proto: "tcp" }, { port: 1194, proto: "udp6" }]);
  assert.deepEqual(c.input.lanInterfaces, ["eth1"]);
  assert.equal(c.input.mainInterface, "br0");
  assert.ok(c.input.gateway);
  assert.deepEqual(c.input.allow, [{ port: 22, proto: "tcp" }]);
  assert.equal(c.format, "nft");

  // Defaults of the node: udp and udp6 disabled, so one TCP server on 1194.
  const plain = rulesCommand(
    ["@re6stnet.conf"],
    memoryFiles({ "re6stnet.conf": NODE_CONF, "ca.crt": certPem }),
  );
  assert.deepEqual(plain.input.servers, [{ port: 1194, proto: "tcp" }]);
  // No servers in --client mode or with --max-clients 0; --network overrides the CA.
  const files2 = memoryFiles({ "re6stnet.conf": NODE_CONF, "ca.crt": certPem });
  assert.deepEqual(
    rulesCommand(["@re6stnet.conf", "--max-clients", "0"], files2).input.servers,
    [],
  );
  assert.deepEqual(
    rulesCommand(["@re6stnet.conf", "--client", "198.18.0.9,1194,tcp"], files2).input.servers,
    [],
  );
  assert.equal(
    rulesCommand(["@re6stnet.conf", "--network", "fd00:5::/32"], files2).input.network,
    "fd00:5::/32",
  );
});

Deno.test("node configuration: bad files give clear errors", async () => {
  const { certPem } = await createTestCa();
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /node options: .*cannot read 're6stnet.conf'/],
    [{ "re6stnet.conf": "ca ca.crt\n" }, /node options: .*registry/],
    [{ "re6stnet.conf": NODE_CONF }, /cannot read the CA certificate 'ca.crt'/],
    [{ "re6stnet.conf": NODE_CONF, "ca.crt": "garbage" }, /'ca.crt' gives no network/],
    [
      { "re6stnet.conf": NODE_CONF + "\npp 1194 udp\n", "ca.crt": certPem },
      /conflicts with disabled/,
    ],
  ];
  for (const [files, re] of cases) {
    assert.throws(() => parseFirewallArgs(["@re6stnet.conf"], memoryFiles(files)), re);
  }
});

Deno.test("re6st firewall @re6stnet.conf reads the node's files relative to its directory", async () => {
  const { certPem } = await createTestCa();
  const dir = await Deno.makeTempDir({ prefix: "re6st-firewall-" });
  try {
    await Deno.writeTextFile(`${dir}/ca.crt`, certPem);
    await Deno.writeTextFile(`${dir}/re6stnet.conf`, NODE_CONF + "\npp 1195 tcp\n");
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, "firewall", "@re6stnet.conf", "--format", "ip6tables"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(
      text,
      /^-A INPUT -s 2001:db8:42::\/48 -d 2001:db8:42::\/48 -p udp -m udp --dport 326 /m,
    );
    assert.doesNotMatch(text, /--dport 1195/, "the tcp server is IPv4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
