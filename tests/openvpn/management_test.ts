import assert from "node:assert/strict";
import {
  acceptCommand,
  denyCommand,
  ManagementParser,
  reauthCommand,
  servedClient,
} from "../../lib/node/openvpn/management.ts";
import { isIpLiteral } from "../../lib/node/openvpn/ip_literal.ts";

function feed(p: ManagementParser, lines: string[]) {
  return lines.flatMap((l) => p.push(l));
}

// Lines as OpenVPN 2.6.14 printed them for a real client-connect (shortened).
const CONNECT = [
  ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info",
  ">CLIENT:CONNECT,0,1",
  ">CLIENT:ENV,n_clients=0",
  ">CLIENT:ENV,password=",
  ">CLIENT:ENV,untrusted_port=43000",
  ">CLIENT:ENV,untrusted_ip=198.18.0.2",
  ">CLIENT:ENV,common_name=2/16",
  ">CLIENT:ENV,tls_serial_0=1002",
  ">CLIENT:ENV,tls_id_0=serialNumber=2, CN=2/16",
  ">CLIENT:ENV,dev=re6stnet-tcp",
  ">CLIENT:ENV,END",
];

Deno.test("a CONNECT block becomes one connect event with its environment", () => {
  const evs = feed(new ManagementParser(), CONNECT);
  assert.equal(evs.length, 1);
  const ev = evs[0];
  assert.equal(ev.type, "connect");
  if (ev.type !== "connect") return;
  assert.equal(ev.cid, 0);
  assert.equal(ev.kid, 1);
  assert.equal(ev.reauth, false);
  assert.equal(ev.env.tls_id_0, "serialNumber=2, CN=2/16");
  assert.deepEqual(servedClient(ev.env), { cn: "2/16", serial: 1002n, realIp: "198.18.0.2" });
});

Deno.test("REAUTH, ESTABLISHED, DISCONNECT blocks; info and SUCCESS lines are quiet", () => {
  const p = new ManagementParser();
  const evs = feed(p, [
    ">CLIENT:REAUTH,4,2",
    ">CLIENT:ENV,common_name=3/16",
    ">CLIENT:ENV,END",
    "SUCCESS: client-auth command succeeded",
    ">CLIENT:ESTABLISHED,4",
    ">CLIENT:ENV,trusted_ip6=2001:db8::3",
    ">CLIENT:ENV,END",
    ">CLIENT:ADDRESS,4,198.19.0.9,1",
    ">CLIENT:DISCONNECT,4",
    ">CLIENT:ENV,trusted_ip=198.18.0.3",
    ">CLIENT:ENV,END",
    "ERROR: client-auth command failed",
    ">FATAL:ERROR: Cannot ioctl TUNSETIFF re6stnet-udp: Device or resource busy (errno=16)",
    ">STATE:1795309611,CONNECTED,SUCCESS,,,,,",
    "1795309611,WAIT,,,,,,",
    "END",
  ]);
  assert.deepEqual(evs.map((e) => e.type), [
    "connect",
    "established",
    "disconnect",
    "error",
    "error",
    "state",
    "state",
  ]);
  assert.ok(evs[5].type === "state" && evs[5].name === "CONNECTED");
  assert.ok(evs[4].type === "error" && evs[4].message.startsWith("ERROR: Cannot ioctl"));
  assert.ok(evs[0].type === "connect" && evs[0].reauth && evs[0].kid === 2);
  assert.ok(evs[2].type === "disconnect" && evs[2].cid === 4);
});

Deno.test("garbage from OpenVPN is dropped with a reason and parsing goes on", () => {
  const p = new ManagementParser();
  const garbage = [
    "",
    "\u0000\u00ff binary",
    ">CLIENT:ENV,common_name=x",
    ">CLIENT:CONNECT,x,1",
    ">CLIENT:CONNECT,1",
    ">CLIENT:CONNECT,99999999999,1",
    ">CLIENT:FOO,1",
    ">CLIENT:",
    ">STATE:",
    ">STATE:1,lower case",
    ">CLIENT:CONNECT,1,1",
    ">CLIENT:ENV,novalue",
    ">CLIENT:ENV,=x",
    ">CLIENT:DISCONNECT,2", // interrupts the unterminated CONNECT block
    ...Array.from({ length: 300 }, (_, i) => `>CLIENT:ENV,v${i}=1`),
    ">CLIENT:ENV,END",
  ];
  const evs = feed(p, garbage);
  assert.ok(evs.every((e) => e.type === "drop"), JSON.stringify(evs));
  assert.ok(evs.length >= 12);
  // Still in sync afterwards.
  assert.equal(feed(p, CONNECT).filter((e) => e.type === "connect").length, 1);
});

Deno.test("servedClient refuses incomplete or hostile environments", () => {
  const ok = { common_name: "1/16", tls_serial_0: "7", untrusted_ip: "198.18.0.1" };
  assert.equal(typeof servedClient(ok), "object");
  assert.equal(servedClient({ ...ok, common_name: "" }), "no common_name");
  assert.equal(servedClient({ ...ok, tls_serial_0: "0x7" }), "bad tls_serial_0");
  assert.equal(
    servedClient({ ...ok, untrusted_ip: '1.2.3.4"\npush "route' }),
    "bad client address",
  );
  assert.equal(servedClient({ ...ok, untrusted_ip: "300.1.1.1" }), "bad client address");
  const v6 = servedClient({ common_name: "1/16", tls_serial_0: "7", trusted_ip6: "2001:db8::7" });
  assert.ok(typeof v6 === "object" && v6.realIp === "2001:db8::7");
  assert.ok(isIpLiteral("::ffff:198.18.0.1"));
  assert.ok(!isIpLiteral("198.18.0"));
});

Deno.test("answers: accept pushes external_ip, reauth pushes nothing, deny is quoted", () => {
  assert.equal(
    acceptCommand(3, 1, "198.18.0.2"),
    'client-auth 3 1\npush "setenv-safe external_ip 198.18.0.2"\nEND\n',
  );
  assert.throws(() => acceptCommand(3, 1, "x y"));
  assert.equal(reauthCommand(3, 2), "client-auth-nt 3 2\n");
  assert.equal(denyCommand(3, 1, 'revoked "serial"\n'), 'client-deny 3 1 "revoked serial"\n');
});
