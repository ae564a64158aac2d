import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { hmacSha1, SessionTable, sha1 } from "../../lib/registry/sessions.ts";

const P = "0000000000000001";
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const key = (n: number) => new Uint8Array(20).fill(n);

Deno.test("statement 10: HMAC chain: K authenticates once, answer keyed SHA1(K), next SHA1(SHA1(K))", () => {
  const t = new SessionTable();
  const K = key(7);
  t.hello(P, K, 10);
  const path = `/getNetworkConfig?cn=${P}`;
  const r = t.authenticate(P, path, b64(hmacSha1(K, path)));
  assert.ok(r.ok);
  assert.deepEqual(r.responseKey, sha1(K));
  assert.equal(r.protocol, 10);
  // replay fails
  const replay = t.authenticate(P, path, b64(hmacSha1(K, path)));
  assert.deepEqual(replay, { ok: false, status: 400, reason: "wrong HMAC" });
  // the chain goes on with SHA1(SHA1(K))
  const K2 = sha1(sha1(K));
  const r2 = t.authenticate(P, path, b64(hmacSha1(K2, path)));
  assert.ok(r2.ok);
  assert.deepEqual(r2.responseKey, sha1(K2));
});

Deno.test("statement 10: a tag over another path or with a wrong key is refused with 400", () => {
  const t = new SessionTable();
  t.hello(P, key(1), 10);
  const path = `/getDh?cn=${P}`;
  assert.equal(t.authenticate(P, path, b64(hmacSha1(key(1), path + "x"))).ok, false);
  assert.equal(t.authenticate(P, path, b64(hmacSha1(key(2), path))).ok, false);
  for (const bad of [null, "", "not base64!", b64(new Uint8Array(19)), b64(new Uint8Array(32))]) {
    const r = t.authenticate(P, path, bad);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 400);
  }
  assert.equal(t.authenticate(P, path, b64(hmacSha1(key(1), path))).ok, true);
});

Deno.test("statement 11: without a session (e.g. after a restart) the call gets 401", () => {
  const t = new SessionTable();
  const path = `/getDh?cn=${P}`;
  const r = t.authenticate(P, path, b64(hmacSha1(key(1), path)));
  assert.deepEqual(r, { ok: false, status: 401, reason: "no session" });
  // the client re-handshakes once and succeeds
  t.hello(P, key(3), 10);
  assert.equal(t.authenticate(P, path, b64(hmacSha1(key(3), path))).ok, true);
});

Deno.test("statement 12: a second hello does not invalidate the secret in use", () => {
  const t = new SessionTable();
  const path = `/getDh?cn=${P}`;
  t.hello(P, key(1), 10);
  t.hello(P, key(2), 6); // e.g. an attacker's hello
  t.hello(P, key(3), 6); // replaces the previous fresh one, still keeps index 0
  assert.equal(t.authenticate(P, path, b64(hmacSha1(key(2), path))).ok, false);
  const r = t.authenticate(P, path, b64(hmacSha1(key(1), path)));
  assert.ok(r.ok && r.protocol === 10);
  // the newest hello's secret would also have worked, with its own protocol
  const t2 = new SessionTable();
  t2.hello(P, key(1), 10);
  t2.hello(P, key(3), 6);
  const r2 = t2.authenticate(P, path, b64(hmacSha1(key(3), path)));
  assert.ok(r2.ok && r2.protocol === 6);
  t2.drop(P);
  assert.equal(t2.size, 0);
});
