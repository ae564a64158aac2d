/**
 * UpnpAddress, the daemon's UPnP address source, with the AddressBook: when UPnP applies, the
 * mapped endpoint is advertised once the background start maps it, and the learnt IPv4 (like
 * `--ip any`) takes over when there is no IGD or after `stop` deleted the mappings. The IGD is
 * a small in-memory table; real miniupnpd behind real NAT is in tests/net/demo_topology_test.ts.
 */
import assert from "node:assert/strict";
import { setSink } from "../../lib/log.ts";
import { AddressBook } from "../../lib/node/address_book.ts";
import type { Igd, MappingProtocol, PortMapping } from "../../lib/node/upnp/igd.ts";
import { NoIgdError } from "../../lib/node/upnp/igd.ts";
import { UpnpAddress } from "../../lib/node/upnp/upnp_address.ts";
import { waitFor } from "../../lib/netns/wait.ts";

setSink(() => {});

class TableIgd implements Igd {
  readonly lanAddress = "198.18.2.2";
  readonly table = new Map<string, PortMapping>();
  getExternalIPAddress(): Promise<string> {
    return Promise.resolve("198.18.1.2");
  }
  addPortMapping(m: PortMapping): Promise<void> {
    this.table.set(`${m.externalPort}/${m.protocol}`, m);
    return Promise.resolve();
  }
  deletePortMapping(port: number, protocol: MappingProtocol): Promise<void> {
    this.table.delete(`${port}/${protocol}`);
    return Promise.resolve();
  }
  getSpecificPortMappingEntry() {
    return Promise.resolve(undefined);
  }
}

const SERVERS = [{ proto: "tcp" as const, port: 1194 }];

function wire(ip: string[], discover: () => Promise<Igd>) {
  const changes: string[] = [];
  const box: { book?: AddressBook } = {};
  const upnp = UpnpAddress.create({
    ip,
    servers: SERVERS,
    discover,
    onChange: () => changes.push(box.book!.toString()),
  });
  box.book = new AddressBook(ip, SERVERS, { mapper: upnp });
  return { upnp, book: box.book, changes };
}

Deno.test("statement 56: --ip upnp advertises the mapped endpoint, deleted and dropped at stop", async () => {
  const igd = new TableIgd();
  const { upnp, book, changes } = wire(["upnp"], () => Promise.resolve(igd));
  assert.ok(upnp);
  book.learn("198.18.1.2");
  assert.equal(book.toString(), "198.18.1.2,1194,tcp", "learnt address until mapped");
  upnp.start();
  await waitFor(() => changes.length > 0, { timeoutMs: 5000, what: "the mapping" });
  const [key] = [...igd.table.keys()];
  const port = Number(key.split("/")[0]);
  assert.ok(port >= 32768 && port <= 40959);
  assert.deepEqual(changes, [`198.18.1.2,${port},tcp`]);
  await upnp.stop();
  assert.equal(igd.table.size, 0, "mapping deleted at stop");
  assert.deepEqual(changes.slice(1), ["198.18.1.2,1194,tcp"], "back to the learnt address");
});

Deno.test("statement 55: implicit UPnP without IGD maps nothing; the learnt IPv4 is advertised", async () => {
  let asked = 0;
  const { upnp, book, changes } = wire([], () => {
    asked++;
    return Promise.reject(new NoIgdError("no UPnP IGD answered the SSDP search"));
  });
  assert.ok(upnp);
  upnp.start();
  await waitFor(() => asked === 1, { timeoutMs: 5000, what: "discovery" });
  await upnp.stop();
  assert.deepEqual(changes, []);
  assert.equal(book.toString(), "");
  assert.ok(book.learn("198.18.1.7"));
  assert.equal(book.toString(), "198.18.1.7,1194,tcp");
});

Deno.test("no UPnP with --ip any, an IPv4 --ip, or no IPv4 server", () => {
  const never = () => Promise.reject(new Error("not asked"));
  for (const ip of [["any"], ["198.18.1.5"]]) {
    assert.equal(
      UpnpAddress.create({ ip, servers: SERVERS, onChange() {}, discover: never }),
      undefined,
    );
  }
  const v6 = [{ proto: "tcp6" as const, port: 1194 }];
  assert.equal(
    UpnpAddress.create({ ip: [], servers: v6, onChange() {}, discover: never }),
    undefined,
  );
});
