import assert from "node:assert/strict";
import {
  bitsToCidr,
  bitsToCn,
  cidrToBits,
  cnToBits,
  formatIPv6,
  networkToSerial,
  nodeAddress,
  parseIPv6,
  serialToNetwork,
  subnetAnycast,
} from "../../lib/wire/prefix.ts";

Deno.test("statement 2: CN 5/16 and 36893488147419103232/80 map to bit strings and back", () => {
  assert.equal(cnToBits("5/16"), "0000000000000101");
  assert.equal(bitsToCn("0000000000000101"), "5/16");
  const p80 = cnToBits("36893488147419103232/80");
  assert.equal(p80.length, 80);
  assert.equal(p80.indexOf("1"), 14);
  assert.equal(p80.lastIndexOf("1"), 14);
  assert.equal(bitsToCn(p80), "36893488147419103232/80");
  assert.equal(cnToBits("0/0"), "");
  assert.equal(bitsToCn(""), "0/0");
});

Deno.test("malformed CNs are rejected with an error", () => {
  for (const bad of ["", "5", "5/", "/16", "a/16", "5/16/2", "70000/16", "1/129", " 5/16"]) {
    assert.throws(() => cnToBits(bad), Error, bad);
  }
});

Deno.test("statement 3: CA serial 0x120010db80042 yields 2001:db8:42::/48", () => {
  const bits = serialToNetwork(0x120010db80042n);
  assert.equal(bits.length, 48);
  assert.equal(bitsToCidr(bits), "2001:db8:42::/48");
  assert.equal(networkToSerial(bits), 0x120010db80042n);
  for (const pattern of ["", "0", "1", "0001", "101100111"]) {
    assert.equal(serialToNetwork(networkToSerial(pattern)), pattern);
  }
});

Deno.test("statement 4: CN 1/16 in 2001:db8:42::/48 has address 2001:db8:42:1::1/64", () => {
  const subnet = cidrToBits("2001:db8:42::/48") + cnToBits("1/16");
  assert.equal(bitsToCidr(subnet), "2001:db8:42:1::/64");
  assert.equal(nodeAddress(subnet), "2001:db8:42:1::1");
  assert.equal(subnetAnycast(subnet), "2001:db8:42:1::");
  assert.equal(nodeAddress("1".repeat(128)), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
});

Deno.test("IPv6 text codec round-trips and rejects garbage", () => {
  for (
    const a of ["::", "::1", "2001:db8::1", "fe80::1:2:3:4", "2001:db8:42:1::", "1:2:3:4:5:6:7:8"]
  ) {
    assert.equal(formatIPv6(parseIPv6(a)), a);
  }
  assert.equal(formatIPv6(parseIPv6("::ffff:198.18.0.1")), "::ffff:c612:1");
  for (const bad of ["", ":::", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:2:3"]) {
    assert.throws(() => parseIPv6(bad), Error, bad);
  }
  assert.throws(() => cidrToBits("2001:db8::1/32"));
});
