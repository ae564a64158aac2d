import assert from "node:assert/strict";
import { AddressBook } from "../../lib/node/address_book.ts";

const tcp = [{ port: 1194, proto: "tcp" as const }];

Deno.test("explicit --ip: one endpoint per server protocol of its family, country of each address appended", () => {
  const book = new AddressBook(["198.18.1.2", "2001:db8::2"], [
    { port: 1194, proto: "udp" },
    { port: 1195, proto: "tcp" },
    { port: 1196, proto: "tcp6" },
  ], { country: (ip) => ip === "2001:db8::2" ? "DE" : "FR" });
  assert.equal(
    book.toString(),
    "198.18.1.2,1194,udp,FR;198.18.1.2,1195,tcp,FR;2001:db8::2,1196,tcp6,DE",
  );
  assert.equal(book.learn("198.18.9.9"), false, "a fixed family is never learnt");
});

Deno.test("--ip any (and no --ip): the address pushed by a server is learnt once", () => {
  for (const ips of [["any"], []]) {
    const book = new AddressBook(ips, tcp);
    assert.equal(book.toString(), "");
    assert.equal(book.learn("198.18.1.7"), true);
    assert.equal(book.learn("198.18.1.7"), false, "same address: no change");
    assert.equal(book.toString(), "198.18.1.7,1194,tcp");
    assert.equal(book.learn("198.18.1.8"), true);
    assert.equal(book.toString(), "198.18.1.8,1194,tcp");
  }
});

Deno.test("no server (max_clients 0): nothing to advertise", () => {
  const book = new AddressBook(["198.18.1.2"], []);
  assert.equal(book.toString(), "");
});

Deno.test("a port mapper replaces learnt IPv4 endpoints", () => {
  const book = new AddressBook(["upnp"], tcp, {
    mapper: { endpoints: () => [{ ip: "198.18.0.1", port: 40000, proto: "tcp" }] },
  });
  assert.equal(book.toString(), "198.18.0.1,40000,tcp");
});
