/**
 * PortMapper decisions with injected time and randomness (spec §13.1): the 500 s refresh,
 * the 60 s retry after failure, conflicts, "No free port", implicit vs explicit UPnP. The IGD
 * is an in-memory table with miniupnpd's semantics (the same client re-adding a port updates
 * it, another client gets 718); the real miniupnpd is exercised in miniupnpd_test.ts.
 */
import assert from "node:assert/strict";
import { setSink } from "../../lib/log.ts";
import { formatAddresses } from "../../lib/wire/address.ts";
import type { Igd, MappingEntry, MappingProtocol, PortMapping } from "../../lib/node/upnp/igd.ts";
import { NoIgdError } from "../../lib/node/upnp/igd.ts";
import {
  MAX_PORT_TRIES,
  PortMapper,
  REFRESH_INTERVAL_MS,
  RETRY_DELAY_MS,
} from "../../lib/node/upnp/port_mapper.ts";
import { PortSequence } from "../../lib/node/upnp/port_sequence.ts";
import { SoapError, UPNP_ERRORS } from "../../lib/node/upnp/soap.ts";

setSink(() => {});

class MemoryIgd implements Igd {
  readonly table = new Map<string, MappingEntry>();
  externalIp = "198.18.2.1";
  calls: string[] = [];
  failing = false;
  /** advances the fake clock on each AddPortMapping */
  onAdd = () => {};
  constructor(readonly lanAddress = "198.18.1.2") {}

  private check(action: string) {
    this.calls.push(action);
    if (this.failing) throw new SoapError(action, "HTTP status 500");
  }
  getExternalIPAddress(): Promise<string> {
    this.check("GetExternalIPAddress");
    return Promise.resolve(this.externalIp);
  }
  addPortMapping(m: PortMapping): Promise<void> {
    this.check(`AddPortMapping ${m.externalPort}/${m.protocol}`);
    this.onAdd();
    const key = `${m.externalPort}/${m.protocol}`;
    const cur = this.table.get(key);
    if (cur && cur.internalClient !== m.internalClient) {
      return Promise.reject(
        new SoapError(
          "AddPortMapping",
          "ConflictInMappingEntry",
          UPNP_ERRORS.conflictInMappingEntry,
        ),
      );
    }
    this.table.set(key, {
      internalPort: m.internalPort,
      internalClient: m.internalClient,
      enabled: true,
      description: m.description,
      leaseDuration: m.leaseDuration,
    });
    return Promise.resolve();
  }
  deletePortMapping(externalPort: number, protocol: MappingProtocol): Promise<void> {
    this.check(`DeletePortMapping ${externalPort}/${protocol}`);
    this.table.delete(`${externalPort}/${protocol}`);
    return Promise.resolve();
  }
  getSpecificPortMappingEntry(externalPort: number, protocol: MappingProtocol) {
    this.check(`GetSpecificPortMappingEntry ${externalPort}/${protocol}`);
    return Promise.resolve(this.table.get(`${externalPort}/${protocol}`));
  }
  foreign(port: number, protocol: MappingProtocol) {
    this.table.set(`${port}/${protocol}`, {
      internalPort: 1,
      internalClient: "198.18.1.99",
      enabled: true,
      description: "other",
      leaseDuration: 0,
    });
  }
}

const SEED = [11, 22, 33];
const walk = (n: number) => {
  const s = new PortSequence({ r1: SEED[0], r2: SEED[1], start: SEED[2] });
  return Array.from({ length: n }, () => s.next());
};

function setup(igd: MemoryIgd | (() => Promise<Igd>), implicit = false) {
  const clock = { now: 5_000_000 };
  const seed = [...SEED];
  const mapper = new PortMapper({
    servers: [{ proto: "tcp", port: 1194 }, { proto: "udp", port: 1195 }],
    implicit,
    discover: typeof igd === "function" ? igd : () => Promise.resolve(igd),
    random: () => seed.shift()!,
    now: () => clock.now,
  });
  return { mapper, clock };
}

Deno.test("statement 56: one mapping per server, description and lease as specified", async () => {
  const igd = new MemoryIgd();
  const { mapper, clock } = setup(igd);
  const [p1, p2] = walk(2);
  assert.deepEqual(await mapper.start(), {
    kind: "mapped",
    endpoints: [
      { ip: "198.18.2.1", port: p1, proto: "tcp" },
      { ip: "198.18.2.1", port: p2, proto: "udp" },
    ],
  });
  assert.deepEqual(igd.table.get(`${p1}/TCP`), {
    internalPort: 1194,
    internalClient: "198.18.1.2",
    enabled: true,
    description: "re6stnet openvpn server (1194/tcp)",
    leaseDuration: 0,
  });
  assert.equal(igd.table.get(`${p2}/UDP`)?.description, "re6stnet openvpn server (1195/udp)");
  assert.equal(formatAddresses(mapper.endpoints), `198.18.2.1,${p1},tcp;198.18.2.1,${p2},udp`);
  assert.equal(mapper.dueAt, clock.now + REFRESH_INTERVAL_MS);
});

Deno.test("statement 56: refresh every 500 s re-adds all mappings and re-reads the external IP", async () => {
  const igd = new MemoryIgd();
  const { mapper, clock } = setup(igd);
  const [p1, p2] = walk(2);
  await mapper.start();
  igd.calls = [];
  clock.now += REFRESH_INTERVAL_MS - 1;
  await mapper.tick();
  assert.deepEqual(igd.calls, [], "nothing before 500 s");
  clock.now += 1;
  igd.externalIp = "198.18.2.7";
  igd.table.delete(`${p2}/UDP`); // vanished behind our back
  const endpoints = await mapper.tick();
  assert.deepEqual(igd.calls, [
    "GetExternalIPAddress",
    `AddPortMapping ${p1}/TCP`,
    `AddPortMapping ${p2}/UDP`,
  ]);
  assert.deepEqual(endpoints.map((e) => `${e.ip}:${e.port}`), [
    `198.18.2.7:${p1}`,
    `198.18.2.7:${p2}`,
  ]);
  assert.ok(igd.table.has(`${p2}/UDP`));
  assert.equal(mapper.dueAt, clock.now + REFRESH_INTERVAL_MS);
});

Deno.test("unforced refresh only recreates missing or taken-over mappings", async () => {
  const igd = new MemoryIgd();
  const { mapper } = setup(igd);
  const [p1, p2, p3] = walk(3);
  await mapper.start();
  igd.calls = [];
  assert.equal(await mapper.refresh(false), true);
  assert.deepEqual(igd.calls, [
    "GetExternalIPAddress",
    `GetSpecificPortMappingEntry ${p1}/TCP`,
    `GetSpecificPortMappingEntry ${p2}/UDP`,
  ]);
  igd.table.delete(`${p1}/TCP`);
  igd.foreign(p2, "UDP"); // another client took our port
  igd.calls = [];
  await mapper.refresh(false);
  assert.deepEqual(igd.calls, [
    "GetExternalIPAddress",
    `GetSpecificPortMappingEntry ${p1}/TCP`,
    `AddPortMapping ${p1}/TCP`,
    `GetSpecificPortMappingEntry ${p2}/UDP`,
    `AddPortMapping ${p2}/UDP`,
    `AddPortMapping ${p3}/UDP`,
  ]);
  assert.deepEqual(mapper.endpoints.map((e) => e.port), [p1, p3]);
});

Deno.test("conflicts: the next port of the walk is tried; 15 conflicts mean 'No free port'", async () => {
  const ports = walk(MAX_PORT_TRIES + 1);
  const igd = new MemoryIgd();
  for (const p of ports.slice(0, 3)) igd.foreign(p, "TCP");
  const { mapper } = setup(igd);
  const r = await mapper.start();
  assert.equal(r.kind, "mapped");
  assert.deepEqual(mapper.endpoints.map((e) => e.port), [ports[3], ports[4]]);

  const full = new MemoryIgd();
  for (const p of ports) full.foreign(p, "TCP");
  const { mapper: m2, clock } = setup(full);
  assert.deepEqual(await m2.start(), { kind: "waiting" });
  const adds = full.calls.filter((c) => c.startsWith("AddPortMapping"));
  assert.equal(adds.length, MAX_PORT_TRIES);
  assert.equal(new Set(adds).size, MAX_PORT_TRIES, "tries are distinct ports");
  assert.equal(m2.dueAt, clock.now + RETRY_DELAY_MS);
  assert.deepEqual(m2.endpoints, []);
});

Deno.test("conflicts: port tries stop after about 1 s of the refresh", async () => {
  const ports = walk(MAX_PORT_TRIES);
  const igd = new MemoryIgd();
  for (const p of ports) igd.foreign(p, "TCP");
  const { mapper, clock } = setup(igd);
  igd.onAdd = () => clock.now += 300;
  await mapper.start();
  assert.equal(igd.calls.filter((c) => c.startsWith("AddPortMapping")).length, 4);
});

Deno.test("failure: our mappings are deleted, discovery retried after 60 s", async () => {
  const igd = new MemoryIgd();
  let discoveries = 0;
  const { mapper, clock } = setup(() => {
    discoveries++;
    return Promise.resolve(igd);
  });
  const [p1, p2] = walk(2);
  await mapper.start();
  clock.now = mapper.dueAt;
  igd.failing = true;
  assert.deepEqual(await mapper.tick(), []);
  igd.failing = false;
  assert.ok(igd.calls.includes(`DeletePortMapping ${p1}/TCP`));
  assert.ok(igd.calls.includes(`DeletePortMapping ${p2}/UDP`));
  assert.equal(mapper.dueAt, clock.now + RETRY_DELAY_MS);
  assert.equal(discoveries, 1);
  clock.now += RETRY_DELAY_MS;
  const again = await mapper.tick();
  assert.equal(discoveries, 2, "the IGD is discovered again");
  assert.equal(again.length, 2);
});

Deno.test("implicit UPnP without IGD means 'not NATed'; explicit UPnP keeps retrying", async () => {
  const none = () => Promise.reject(new NoIgdError("no UPnP IGD answered the SSDP search"));
  const implicit = setup(none, true);
  assert.deepEqual(await implicit.mapper.start(), { kind: "not-natted" });
  assert.equal(implicit.mapper.dueAt, Infinity);
  const socketTrouble = setup(() => Promise.reject(new Error("bind EADDRINUSE")), true);
  assert.deepEqual(await socketTrouble.mapper.start(), { kind: "not-natted" });

  const gateway: { igd?: MemoryIgd } = {};
  const explicit = setup(() => gateway.igd ? Promise.resolve(gateway.igd) : none(), false);
  assert.deepEqual(await explicit.mapper.start(), { kind: "waiting" });
  assert.equal(explicit.mapper.dueAt, explicit.clock.now + RETRY_DELAY_MS);
  gateway.igd = new MemoryIgd(); // the IGD appears later
  explicit.clock.now += RETRY_DELAY_MS;
  assert.equal((await explicit.mapper.tick()).length, 2);
});

Deno.test("stop deletes every mapping and ends refreshing", async () => {
  const igd = new MemoryIgd();
  igd.foreign(40000, "TCP");
  const { mapper } = setup(igd);
  await mapper.start();
  await mapper.stop();
  assert.deepEqual([...igd.table.keys()], ["40000/TCP"]);
  assert.equal(mapper.dueAt, Infinity);
  assert.deepEqual(mapper.endpoints, []);
});
