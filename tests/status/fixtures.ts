/**
 * A node snapshot made of real parts: a babeld dump (as stock babeld 1.12 prints it, parsed by
 * the real dump parser and interpreted by `interpretDump`) and literal tunnel-manager, peer and
 * cache state. Node 1/16 of 2001:db8:42::/48 serves 5/16 and is a client of 2/16; 2/16 also
 * carries the route to 3/16; 4/16 is reached through an unidentified LAN neighbour.
 */
import { parseDump } from "../../lib/node/babel/dump_parser.ts";
import { interpretDump } from "../../lib/node/babel/interpret.ts";
import type { NodeSnapshot } from "../../lib/node/control/snapshot.ts";
import type { NetworkParams } from "../../lib/node/params.ts";
import { packInteger } from "../../lib/wire/pack_integer.ts";
import { cidrToBits } from "../../lib/wire/prefix.ts";

/** Network of the fixture. */
export const NETWORK = cidrToBits("2001:db8:42::/48");
/** Node prefix number i as 16 bits. */
export const p = (i: number) => i.toString(2).padStart(16, "0");
/** The snapshot's clock: 2026-11-22 00:00:00 UTC. */
export const NOW = Date.UTC(2026, 10, 22);

const DUMP = [
  "add interface re6stnet1 up true ipv6 fe80::1",
  "add interface re6stnet-tcp up true ipv6 fe80::11",
  "add interface eth0 up true ipv6 fe80::21",
  "add neighbour 1 address fe80::2 if re6stnet1 reach ffff rxcost 96 txcost 96 cost 96",
  "add neighbour 2 address fe80::5 if re6stnet-tcp reach ffff rxcost 96 txcost 96 cost 96",
  "add neighbour 3 address fe80::9 if eth0 reach ffff rxcost 96 txcost 96 cost 96",
  "add route 1 prefix 2001:db8:42:2::/64 from ::/0 installed yes id 02 metric 96 " +
  "refmetric 0 via fe80::2 if re6stnet1",
  "add route 2 prefix 2001:db8:42:3::/64 from ::/0 installed yes id 03 metric 352 " +
  "refmetric 256 via fe80::2 if re6stnet1",
  "add route 3 prefix 2001:db8:42:5::/64 from ::/0 installed yes id 05 metric 96 " +
  "refmetric 0 via fe80::5 if re6stnet-tcp",
  "add route 4 prefix 2001:db8:42:4::/64 from ::/0 installed yes id 04 metric 200 " +
  "refmetric 100 via fe80::9 if eth0",
  "add route 5 prefix ::/0 from 2001:db8:42::/48 installed yes id 02 metric 96 " +
  "refmetric 0 via fe80::2 if re6stnet1",
  "add route 6 prefix 2001:db8:42:6::/64 from ::/0 installed no id 06 metric 900 " +
  "refmetric 0 via fe80::2 if re6stnet1",
];

/** Network parameters of version 7 (the signature bytes are not checked here). */
export function params(): NetworkParams {
  return {
    version: new Uint8Array([...packInteger(7), 0xaa, 0xbb, 0xcc]),
    protocol: 10,
    minProtocol: 1,
    registryPrefix: p(0),
    clientCount: 10,
    maxClients: 20,
    encrypt: false,
    hello: 15,
    tunnelRefresh: 300,
    babelDefault: "",
    crl: [3n, 4n],
    delayRestart: 0,
  };
}

/** The fixture snapshot (tunnel 2/16 up for 5 min, 9/16 connecting, 5/16 served and draining). */
export function snapshot(): NodeSnapshot {
  const t = NOW / 1000;
  return {
    cn: "1/16",
    prefix: p(1),
    network: NETWORK,
    address: "2001:db8:42:1::1",
    advertised: "198.18.1.1,1194,tcp",
    registry: "http://198.18.1.100/",
    params: params(),
    startedAt: NOW - 3_723_000,
    servers: [{ proto: "tcp", port: 1194, ifname: "re6stnet-tcp" }],
    tunnels: {
      clients: [
        {
          peer: p(2),
          ifname: "re6stnet1",
          established: true,
          destroying: false,
          proto: "tcp4",
          since: t - 300,
        },
        {
          peer: p(9),
          ifname: "re6stnet2",
          established: false,
          destroying: false,
          proto: "udp",
          since: t - 2,
        },
      ],
      served: [{ peer: p(5), ifname: "re6stnet-tcp", since: t - 90, destroying: true }],
    },
    tunnelCounters: { attempts: { tcp4: 3, udp: 2 }, failures: { udp: 1 }, lost: 1 },
    view: interpretDump(parseDump(DUMP).dump, NETWORK),
    sessions: [
      {
        prefix: p(2),
        connected: true,
        protocol: 10,
        version: new Uint8Array(),
        serial: 2n,
        notAfter: Date.UTC(2027, 0, 1),
        lastSeen: NOW - 4000,
      },
      {
        prefix: p(9),
        connected: false,
        protocol: undefined,
        version: new Uint8Array(),
        serial: undefined,
        notAfter: undefined,
        lastSeen: undefined,
      },
    ],
    cache: [
      { prefix: p(2), address: "198.18.1.2,1194,tcp", failed: false },
      { prefix: p(9), address: "198.18.1.9,1194,udp", failed: true },
      { prefix: p(11), address: "198.18.1.11,1194,tcp", failed: false },
    ],
    babeld: { pid: 4242, restarts: 2 },
  };
}
