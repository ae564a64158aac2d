import assert from "node:assert/strict";
import { createPeerProtocol } from "../../lib/node/peer/setup.ts";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import { platform, VERSION } from "../../lib/version.ts";
import { encodeLocalDatagram } from "../../lib/node/peer/local.ts";
import { cidrToBits } from "../../lib/wire/prefix.ts";

Deno.test("createPeerProtocol derives network and prefix from the CA and our certificate", async () => {
  const ca = await createTestCa();
  const keyPem = await generateRsaKey(2048);
  const node = await createTestNode(ca.signer, "0000000000000101", { keyPem });
  const m = createPeerProtocol({
    caPem: ca.certPem,
    certPem: node.certPem,
    keyPem,
    version: new Uint8Array([0]),
    crl: [],
    addresses: () => "198.18.0.5,1194,tcp",
  });
  assert.equal(m.network, cidrToBits("2001:db8:42::/48"));
  assert.equal(m.prefix, "0000000000000101");
  // code 4 from the local registry: real software version and platform
  const out = m.receive("::1", 5000, encodeLocalDatagram(m.prefix, 4, new Uint8Array(0)), 0);
  const send = out.find((a) => a.type === "send");
  assert.ok(send && send.type === "send");
  assert.equal(
    new TextDecoder().decode(send.data.subarray(m.prefix.length + 2)),
    `${VERSION}, ${platform()}`,
  );
});
