import assert from "node:assert/strict";
import { formatAddresses, parseAddresses } from "../../lib/wire/address.ts";

Deno.test("address strings parse, skip bad items with a warning, and keep 4 fields", () => {
  const warnings: string[] = [];
  const list = parseAddresses(
    "198.18.0.1,1194,tcp;198.18.0.1,x,udp;2001:db8::1,1195,udp6,FR,extra",
    (w) => warnings.push(w),
  );
  assert.deepEqual(list, [
    { ip: "198.18.0.1", port: 1194, proto: "tcp" },
    { ip: "2001:db8::1", port: 1195, proto: "udp6", country: "FR" },
  ]);
  assert.equal(warnings.length, 1);
  assert.equal(formatAddresses(list), "198.18.0.1,1194,tcp;2001:db8::1,1195,udp6,FR");
  assert.equal(formatAddresses(list, false), "198.18.0.1,1194,tcp;2001:db8::1,1195,udp6");
  assert.deepEqual(parseAddresses(""), []);
});

/** The grammar stated plainly (split on `;` then `,`): the in-place parser must agree with it. */
function parseBySplitting(text: string): { list: object[]; warned: string[] } {
  const list: object[] = [], warned: string[] = [];
  if (text === "") return { list, warned };
  for (const item of text.split(";")) {
    const [ip, port, proto, country] = item.split(",");
    if (proto === undefined || !/^\d+$/.test(port) || Number(port) > 65535) {
      warned.push(item);
      continue;
    }
    list.push(
      country === undefined ? { ip, port: Number(port), proto } : {
        ip,
        port: Number(port),
        proto,
        country,
      },
    );
  }
  return { list, warned };
}

Deno.test("the in-place address parser agrees with splitting on 20 000 random strings", () => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = ["0", "1", "9", "65535", "65536", "a", ",", ",", ";", ";", "udp", "", "00"];
  for (let round = 0; round < 20000; round++) {
    let text = "";
    const length = Math.floor(next() * 12);
    for (let x = 0; x < length; x++) text += alphabet[Math.floor(next() * alphabet.length)];
    const warned: string[] = [];
    const list = parseAddresses(text, (w) => warned.push(w));
    const expected = parseBySplitting(text);
    assert.deepEqual(list, expected.list, JSON.stringify(text));
    assert.deepEqual(
      warned,
      expected.warned.map((item) => `ignoring malformed address item ${JSON.stringify(item)}`),
      JSON.stringify(text),
    );
  }
});
