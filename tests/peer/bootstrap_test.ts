import assert from "node:assert/strict";
import crypto from "node:crypto";
import { decodeBootstrapPeer } from "../../lib/node/peer/bootstrap.ts";
import { rsaEncrypt } from "../../lib/pki/rsa.ts";
import { testPki } from "./fixtures.ts";

const pki = await testPki();
const [n1, n2] = pki.nodes;
const pub = crypto.createPublicKey(n1.key);
const seal = (text: string) => rsaEncrypt(pub, new TextEncoder().encode(text));

Deno.test("statement 14 (node side): a bootstrap answer decrypts to prefix and addresses", () => {
  const addr = "198.18.0.2,1194,tcp,FR;198.18.0.2,1195,udp,FR";
  assert.deepEqual(decodeBootstrapPeer(seal(`${n2.prefix} ${addr}`), n1.key, n1.prefix), {
    kind: "peer",
    prefix: n2.prefix,
    address: addr,
  });
});

Deno.test("bootstrap answers: own prefix, empty, garbage and malformed give 'none'", () => {
  const cases: [Uint8Array, string][] = [
    [seal(`${n1.prefix} 198.18.0.1,1194,tcp`), "our own prefix"],
    [new Uint8Array(0), "no peer"],
    [new Uint8Array(256).fill(7), "does not decrypt"],
    [seal("0102 198.18.0.1,1194,tcp"), "malformed"],
    [seal(n2.prefix), "malformed"],
    [seal(`${n2.prefix} a b`), "malformed"],
    [rsaEncrypt(pub, new Uint8Array([0xff, 0xfe, 0x20, 0x31])), "not UTF-8"],
  ];
  for (const [body, why] of cases) {
    const r = decodeBootstrapPeer(body, n1.key, n1.prefix);
    assert.equal(r.kind, "none");
    assert.ok(r.kind === "none" && r.reason.includes(why), `${why}: ${JSON.stringify(r)}`);
  }
  // a key of another node cannot read it
  const r = decodeBootstrapPeer(seal(`${n2.prefix} x,1,tcp`), n2.key, n2.prefix);
  assert.equal(r.kind, "none");
});
