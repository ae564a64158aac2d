import assert from "node:assert/strict";
import { MemoryPeerCache } from "../../lib/node/cache/memory_cache.ts";
import { configRows } from "../../lib/node/cache/config_rows.ts";
import { fetchBackoffSeconds, readParams } from "../../lib/node/params.ts";
import { rsaSign } from "../../lib/pki/rsa.ts";
import { createTestCa } from "../../lib/pki/testing.ts";
import { packInteger } from "../../lib/wire/pack_integer.ts";

const ca = await createTestCa();

function signedVersion(v: number): string {
  const n = packInteger(v);
  const blob = new Uint8Array([...n, ...rsaSign(ca.keyPem, n)]);
  return btoa(String.fromCharCode(...blob));
}

function cacheWith(params: Record<string, unknown>): MemoryPeerCache {
  const cache = new MemoryPeerCache("1", Math.random);
  cache.updateConfig(configRows(params, (x) => x));
  return cache;
}

const base = {
  "": ["version"],
  version: signedVersion(3),
  protocol: 10,
  min_protocol: 1,
  registry_prefix: "0000000000000000",
  client_count: 2,
  max_clients: 4,
  encrypt: false,
  hello: 4,
  tunnel_refresh: 100,
  babel_default: "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125",
  crl: [5, 7],
  babel_hmac_sign: btoa("k".repeat(16)),
  babel_hmac_accept: "",
};

Deno.test("stored parameters read back typed (§7.4)", () => {
  const p = readParams(cacheWith(base), ca.signer.ca.publicKey);
  assert.ok(typeof p !== "string", String(p));
  assert.equal(p.hello, 4);
  assert.equal(p.clientCount, 2);
  assert.equal(p.maxClients, 4);
  assert.equal(p.tunnelRefresh, 100);
  assert.equal(p.encrypt, false);
  assert.equal(p.registryPrefix, "0000000000000000");
  assert.deepEqual(p.crl, [5n, 7n]);
  assert.equal(new TextDecoder().decode(p.hmacSign), "k".repeat(16));
  assert.equal(p.hmacAccept?.length, 0, "empty accept key = accept bad signatures");
});

Deno.test("unusable stored parameters give a reason, never throw", () => {
  const key = ca.signer.ca.publicKey;
  assert.match(String(readParams(new MemoryPeerCache("1", Math.random), key)), /no cached/);
  const unsigned = { ...base, version: btoa("\x00") };
  assert.match(String(readParams(cacheWith(unsigned), key)), /not signed/);
  const forged = { ...base, version: btoa("\x05" + "x".repeat(256)) };
  assert.match(String(readParams(cacheWith(forged), key)), /not signed/);
  const noRegistry = { ...base, registry_prefix: "not bits" };
  assert.match(String(readParams(cacheWith(noRegistry), key)), /registry prefix/);
});

Deno.test("fetch back-off 1, 2, 4 … 60 s (restarts: tests/lifecycle/reaction_test.ts)", () => {
  assert.deepEqual([0, 1, 2, 5, 6, 9].map(fetchBackoffSeconds), [1, 2, 4, 32, 60, 60]);
});
