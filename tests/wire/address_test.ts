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
