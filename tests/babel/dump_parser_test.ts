/** Parser of stock babeld 1.12's text dump (lines captured from babeld 1.12.1). */
import assert from "node:assert/strict";
import { parseDump } from "../../lib/node/babel/dump_parser.ts";

const REAL = [
  "add interface eth7 up false",
  "add interface eth0 up true ipv6 fe80::28fb:73ff:fe3f:e58e",
  "add neighbour 55dbf736f220 address fe80::e867:87ff:feed:e1e2 if eth0 reach e000 ureach 0000 " +
  "rxcost 96 txcost 96 cost 96",
  "add neighbour 55dbf736e130 address fe80::1 if re6stnet0 reach ffff ureach 0000 rxcost 96 " +
  "txcost 96 rtt 12.345 rttcost 20 cost 116",
  "add xroute 2001:db8:a::/64-::/0 prefix 2001:db8:a::/64 from ::/0 metric 0",
  "add route 55dbf736f460 prefix 2001:db8:b::/64 from ::/0 installed yes id f8:a1:7d:50:40:eb:43:4c " +
  "metric 96 refmetric 0 via fe80::e867:87ff:feed:e1e2 if eth0",
  "add route 55dbf736f500 prefix ::/0 from 2001:db8:42::/48 installed no id f8:a1:7d:50:40:eb:43:4d " +
  "metric 65535 refmetric 256 via fe80::1 if re6stnet0",
  "add route 55dbf736f600 prefix 198.19.3.0/24 from 0.0.0.0/0 installed yes id f8:a1:7d:50:40:eb:43:4d " +
  "metric 96 refmetric 0 via fe80::1 if re6stnet0",
];

Deno.test("statement 62 (adapted to stock babeld's text socket): dump parser on real babeld 1.12.1 lines", () => {
  const { dump, dropped } = parseDump(REAL);
  assert.deepEqual(dropped, []);
  assert.deepEqual(dump.interfaces, [
    { name: "eth7", up: false },
    { name: "eth0", up: true, ipv6: "fe80::28fb:73ff:fe3f:e58e" },
  ]);
  assert.deepEqual(dump.neighbours, [
    {
      id: "55dbf736f220",
      address: "fe80::e867:87ff:feed:e1e2",
      ifname: "eth0",
      reach: 0xe000,
      rxcost: 96,
      txcost: 96,
      cost: 96,
    },
    {
      id: "55dbf736e130",
      address: "fe80::1",
      ifname: "re6stnet0",
      reach: 0xffff,
      rxcost: 96,
      txcost: 96,
      cost: 116,
      rtt: 12.345,
    },
  ]);
  assert.equal(dump.routes.length, 3);
  assert.deepEqual(dump.routes[0], {
    id: "55dbf736f460",
    prefix: "2001:db8:b::/64",
    from: "::/0",
    installed: true,
    routerId: "f8:a1:7d:50:40:eb:43:4c",
    metric: 96,
    refmetric: 0,
    via: "fe80::e867:87ff:feed:e1e2",
    ifname: "eth0",
  });
  assert.equal(dump.routes[1].from, "2001:db8:42::/48");
  assert.equal(dump.routes[1].installed, false);
  assert.equal(dump.routes[2].prefix, "198.19.3.0/24");
});

Deno.test("dump parser: garbage and malformed lines are dropped with a reason, never thrown", () => {
  const garbage = [
    "",
    "   ",
    "hello world",
    "\u0000\u00ff\ufffd binary",
    "add",
    "add route",
    "add route 1 prefix",
    "add route 1 prefix 2001:db8::/64 from ::/0 installed maybe id x metric 1 refmetric 0 via fe80::1 if e",
    "add route 1 prefix 2001:db8::/64 from ::/0 installed yes id x metric -1 refmetric 0 via fe80::1 if e",
    "add route 1 prefix not-a-prefix from ::/0 installed yes id x metric 1 refmetric 0 via fe80::1 if e",
    "add route 1 prefix 2001:db8::/64 installed yes id x metric 1 refmetric 0 via fe80::1 if e",
    "add neighbour 2 address fe80::1 if e reach zzzz rxcost 1 txcost 1 cost 1",
    "add neighbour 2 address fe80::1 if e reach ffff rxcost 1 txcost 1 cost 1 rtt fast",
    "add interface eth0 up sometimes",
    "add tunnel 7 foo bar",
    "change route 1 prefix 2001:db8::/64",
    "ok",
    REAL[5],
  ];
  const { dump, dropped } = parseDump(garbage);
  assert.equal(dump.routes.length, 1, "the one good line survives");
  assert.equal(dump.neighbours.length, 0);
  assert.equal(dump.interfaces.length, 0);
  assert.equal(dropped.length, garbage.length - 3); // two blank lines skipped silently, one good
  for (const d of dropped) assert.ok(d.reason.length > 0, d.line);
  assert.match(dropped.find((d) => d.line.includes("maybe"))!.reason, /installed/);
  assert.match(dropped.find((d) => d.line.includes("zzzz"))!.reason, /reach/);
  assert.match(dropped.find((d) => d.line.startsWith("add tunnel"))!.reason, /unknown kind/);
});
