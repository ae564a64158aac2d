/** babeld command line (spec §11.1 adapted to stock babeld 1.12.1). */
import assert from "node:assert/strict";
import {
  type BabelArgsOptions,
  babeldArgs,
  babelInterfaceDefaults,
  babelInterfaceStatement,
  babelStatements,
} from "../../lib/node/babel/args.ts";

const DEFAULT = "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125";

function opts(over: Partial<BabelArgsOptions> = {}): BabelArgsOptions {
  return {
    hello: 4,
    logDir: "/var/log/re6st",
    stateDir: "/var/lib/re6st",
    runDir: "/run/re6st",
    network: "2001:db8:42::/48",
    myIp: "2001:db8:42:5::1",
    subnetLen: 64,
    babelDefault: DEFAULT,
    gateway: false,
    subtrees: true,
    extraArgs: [],
    tunnelInterfaces: ["re6stnet-udp", "re6stnet0", "re6stnet1"],
    lanInterfaces: [],
    ...over,
  };
}

/** Values of every `-C` in `args`. */
function statements(args: string[]): string[] {
  return args.flatMap((a, i) => (args[i - 1] === "-C" ? [a] : []));
}

Deno.test("statement 59 (adapted to stock babeld): the babeld command line", () => {
  const args = babeldArgs(opts());
  const st = statements(args);
  assert.ok(st.includes("redistribute local deny"));
  assert.ok(st.includes("redistribute ip 2001:db8:42:5::1/64 eq 64"));
  assert.ok(st.includes("install pref-src 2001:db8:42:5::1"));
  assert.ok(st.includes("redistribute deny"));
  // stock babeld's read-write text socket replaces the fork's -X
  assert.equal(args[args.indexOf("-G") + 1], "/run/re6st/babeld.sock");
  assert.ok(!args.includes("-X"));
  for (const tun of ["re6stnet-udp", "re6stnet0", "re6stnet1"]) {
    assert.ok(st.includes(`interface ${tun} type tunnel`), tun);
  }
});

Deno.test("babeld args: full command line in spec order", () => {
  const args = babeldArgs(opts({ extraArgs: ["-d", "1"], lanInterfaces: ["eth0"] }));
  assert.deepEqual(args, [
    "-h",
    "4",
    "-H",
    "4",
    "-L",
    "/var/log/re6st/babeld.log",
    "-S",
    "/var/lib/re6st/babeld.state",
    "-I",
    "",
    "-s",
    "-l",
    "-C",
    "redistribute local deny",
    "-C",
    "redistribute ip 2001:db8:42:5::1/64 eq 64",
    "-C",
    `default ${DEFAULT}`,
    "-C",
    "in ip ::/0 eq 0 src-ip ::/0 src-eq 0 deny",
    "-C",
    "redistribute deny",
    "-C",
    "install pref-src 2001:db8:42:5::1",
    "-G",
    "/run/re6st/babeld.sock",
    "-d",
    "1",
    "-C",
    "interface re6stnet-udp type tunnel",
    "-C",
    "interface re6stnet0 type tunnel",
    "-C",
    "interface re6stnet1 type tunnel",
    "eth0",
    "re6stnet-udp",
    "re6stnet0",
    "re6stnet1",
  ]);
});

const K1 = new Uint8Array(16).map((_, i) => i);
const K2 = new Uint8Array(16).fill(0xab);

Deno.test("babeld args: HMAC phases of a key rotation (§7.3) on stock babeld", () => {
  const hmac = (sign?: Uint8Array, accept?: Uint8Array) =>
    babelStatements(opts({ hmacSign: sign, hmacAccept: accept })).filter((s) =>
      s.startsWith("key ") || s.startsWith("default ")
    );
  const key1 = "key type blake2s128 id sign value 000102030405060708090a0b0c0d0e0f";
  const key2 = `key type blake2s128 id sign value ${"ab".repeat(16)}`;
  // (-,-,-): no HMAC
  assert.deepEqual(hmac(), [`default ${DEFAULT}`]);
  // (-,K1,""): sign K1, accept bad signatures
  assert.deepEqual(hmac(K1, new Uint8Array()), [
    key1,
    `default ${DEFAULT} key sign accept-bad-signatures true`,
  ]);
  // (K1,-,-): strict
  assert.deepEqual(hmac(K1), [key1, `default ${DEFAULT} key sign`]);
  // (K1,K2,-) and (-,K2,K1): the accept key cannot be used by stock babeld -> transition crutch
  assert.deepEqual(hmac(K1, K2), [key1, `default ${DEFAULT} key sign accept-bad-signatures true`]);
  assert.deepEqual(hmac(K2, K1), [key2, `default ${DEFAULT} key sign accept-bad-signatures true`]);
  // never a second "accept" key statement (fork-only)
  assert.ok(
    !babelStatements(opts({ hmacSign: K1, hmacAccept: K2 })).some((s) => s.includes("id accept")),
  );
  // empty sign value = no HMAC; oversize key = clear error
  assert.deepEqual(hmac(new Uint8Array()), [`default ${DEFAULT}`]);
  assert.throws(() => babelStatements(opts({ hmacSign: new Uint8Array(33) })), /at most 32 bytes/);
});

Deno.test("babeld args: IPv4 payload", () => {
  const st = babelStatements(opts({ ipv4: { ip: "198.19.3.1", len: 24 } }));
  assert.ok(st.includes("redistribute ip 198.19.3.1/24 eq 24"));
  assert.deepEqual(st.slice(-3), [
    "redistribute deny",
    "install pref-src 2001:db8:42:5::1",
    "install pref-src 198.19.3.1",
  ]);
  assert.ok(st.indexOf("redistribute ip 198.19.3.1/24 eq 24") < st.indexOf("redistribute deny"));
});

Deno.test("babeld args: gateway / subtrees combinations", () => {
  const filters = (gateway: boolean, subtrees: boolean) =>
    babelStatements(opts({ gateway, subtrees })).slice(3, -2);
  assert.deepEqual(filters(true, true), ["redistribute ip ::/0 eq 0 src-prefix 2001:db8:42::/48"]);
  assert.deepEqual(filters(true, false), [
    "redistribute ip ::/0 eq 0 src-prefix 2001:db8:42::/48",
    "in ip 2001:db8:42::/48 ge 48",
    "in ip ::/0 deny",
  ]);
  assert.deepEqual(filters(false, true), ["in ip ::/0 eq 0 src-ip ::/0 src-eq 0 deny"]);
  assert.deepEqual(filters(false, false), [
    "in ip ::/0 eq 0 src-ip 2001:db8:42::/48 src-eq 48",
    "in ip ::/0 eq 0 src-ip ::/0 src-ge 1 deny",
    "out ip ::/0 eq 0 deny",
  ]);
  for (const g of [true, false]) {
    for (const t of [true, false]) {
      const st = babelStatements(opts({ gateway: g, subtrees: t }));
      assert.ok(!st.some((s) => s.startsWith("ipv6-subtrees")), "fork-only ipv6-subtrees false");
      assert.ok(!st.some((s) => s.startsWith("install") && s.includes("src-prefix")), "fork-only");
    }
  }
});

Deno.test("babeld args: no tunnels, no LAN, empty babel_default", () => {
  const args = babeldArgs(opts({ tunnelInterfaces: [], lanInterfaces: ["lo"], babelDefault: "" }));
  assert.ok(!statements(args).some((s) => s.startsWith("default")));
  assert.equal(args.at(-1), "lo");
  assert.ok(!statements(args).some((s) => s.startsWith("interface ")));
});

Deno.test("babeld args: run-time interface statements repeat the default options", () => {
  const stmt = (over: Partial<BabelArgsOptions>, ifname: string, rxcost?: number) =>
    babelInterfaceStatement(ifname, babelInterfaceDefaults(opts(over)), { tunnel: true, rxcost });
  // the `default` statement and the run-time statements carry the same options
  for (const over of [{}, { hmacSign: K1 }, { hmacSign: K1, hmacAccept: K2 }]) {
    const def = babelStatements(opts(over)).find((s) => s.startsWith("default "));
    assert.equal(def, `default ${babelInterfaceDefaults(opts(over))}`);
  }
  // drain and restore of a client TAP, strict HMAC: signed, babel_default kept
  assert.equal(
    stmt({ hmacSign: K1 }, "re6stnet1", 4000),
    `interface re6stnet1 ${DEFAULT} key sign type tunnel rxcost 4000`,
  );
  assert.equal(
    stmt({ hmacSign: K1 }, "re6stnet1"),
    `interface re6stnet1 ${DEFAULT} key sign type tunnel`,
  );
  // rotation phases: accept-bad-signatures as in `default`
  assert.equal(
    stmt({ hmacSign: K2, hmacAccept: K1 }, "re6stnet2", 4000),
    `interface re6stnet2 ${DEFAULT} key sign accept-bad-signatures true type tunnel rxcost 4000`,
  );
  assert.equal(
    stmt({ hmacSign: K1, hmacAccept: new Uint8Array() }, "re6stnet2"),
    `interface re6stnet2 ${DEFAULT} key sign accept-bad-signatures true type tunnel`,
  );
  // no HMAC (absent or empty sign key): only babel_default
  assert.equal(
    stmt({}, "re6stnet1", 4000),
    `interface re6stnet1 ${DEFAULT} type tunnel rxcost 4000`,
  );
  assert.equal(
    stmt({ hmacSign: new Uint8Array() }, "re6stnet1"),
    `interface re6stnet1 ${DEFAULT} type tunnel`,
  );
  // nothing at all: the bare statement
  assert.equal(babelInterfaceDefaults(opts({ babelDefault: " " })), "");
  assert.equal(
    stmt({ babelDefault: "" }, "re6stnet1", 4000),
    "interface re6stnet1 type tunnel rxcost 4000",
  );
  assert.equal(babelInterfaceStatement("eth1", ""), "interface eth1");
  assert.equal(babelInterfaceDefaults(opts({ babelDefault: "", hmacSign: K1 })), "key sign");
  assert.throws(() => babelInterfaceDefaults(opts({ hmacSign: new Uint8Array(33) })), /32 bytes/);
});
