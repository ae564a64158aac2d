import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { decodeNetworkConfig, parseBootstrapPeer } from "../../lib/registry/client_decode.ts";

const zjson = (v: unknown) => new Uint8Array(deflateSync(JSON.stringify(v)));
const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test('network config: inflated, parsed, base64 entries listed under "" decoded', () => {
  const config = decodeNetworkConfig(zjson({
    "": ["version"],
    version: "AAE=",
    client_count: 10,
    crl: [3, 5],
    babel_hmac_sign: "",
  }));
  assert.deepEqual(config, {
    version: new Uint8Array([0, 1]),
    client_count: 10,
    crl: [3, 5],
    babel_hmac_sign: "",
  });
});

Deno.test("network config: malformed bodies give clear errors", () => {
  assert.throws(() => decodeNetworkConfig(utf8("{}")), /not zlib-compressed/);
  assert.throws(() => decodeNetworkConfig(new Uint8Array(deflateSync("{x"))), /not JSON/);
  assert.throws(() => decodeNetworkConfig(zjson([1])), /not a JSON object/);
  assert.throws(() => decodeNetworkConfig(zjson({ "": "version" })), /"" is not a list/);
  assert.throws(() => decodeNetworkConfig(zjson({ "": ["v"], v: 3 })), /is not a string/);
  assert.throws(() => decodeNetworkConfig(zjson({ "": ["v"], v: "a*b=" })), /not base64/);
});

Deno.test("bootstrap peer: '<bits> <address>' parsed, anything else refused", () => {
  assert.deepEqual(parseBootstrapPeer(utf8("0000000000000011 198.18.0.3,1194,tcp,FR")), {
    prefix: "0000000000000011",
    address: "198.18.0.3,1194,tcp,FR",
  });
  assert.throws(() => parseBootstrapPeer(utf8("0000000000000011")), /malformed bootstrap peer/);
  assert.throws(() => parseBootstrapPeer(utf8("12 198.18.0.3,1194,tcp")), /malformed/);
  assert.throws(() => parseBootstrapPeer(utf8("01 a b")), /malformed/);
});
