/**
 * The service's observer events (what /metrics counts) and its read-only views (what /admin
 * lists), in-process with an injected clock and a real UDP socket as the local node.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { createCa } from "../../lib/pki/ca.ts";
import { createCsr } from "../../lib/pki/csr.ts";
import type { RegistryEvent } from "../../lib/registry/service.ts";
import { RegistryMetrics } from "../../lib/registry/metrics.ts";
import { setVerbosity } from "../../lib/log.ts";
import { localDatagram } from "./e2e_helpers.ts";
import { startTestRegistry } from "./service_fixture.ts";

const DAY = 86400_000;
setVerbosity(0);
const ca = await createCa({ prefixCidr: "2001:db8:42::/48", bits: 2048, subject: "/CN=TEST-CA" });
const csr = () =>
  createCsr(crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, [["O", "t"]]);

Deno.test("service events and views: issue, renew, tokens, revoke, bootstrap, timeouts", async () => {
  const events: RegistryEvent[] = [];
  const { registry, node, clock } = await startTestRegistry(ca, {
    onEvent: (e) => events.push(e),
  });
  const metrics = new RegistryMetrics(() => registry.stats());
  const taken = () => events.splice(0).map((e) => Object.values(e).join(":"));
  try {
    assert.deepEqual(registry.stats(), {
      sessions: 0,
      tokens: 0,
      prefixes: { allocated: 0, reserved: 0, free: 1 },
      networkVersion: 1,
    });
    await registry.requestCertificate("", csr(), "", "");
    assert.equal(registry.addToken("ann@example.com", ""), registry.listTokens()[0].token);
    await registry.requestCertificate(registry.listTokens()[0].token, csr(), "", "");
    assert.equal(await registry.requestCertificate("gone", csr(), "", ""), null);
    assert.deepEqual(taken(), ["certificate:issued", "token_created", "certificate:issued"]);

    const nodes = registry.listNodes();
    assert.deepEqual(nodes.map((n) => [n.cn, n.email, n.subjectSerial, n.serial, n.registryNode]), [
      ["0/16", null, 0, 1n, true],
      ["1/16", "ann@example.com", 1, 2n, false],
    ]);
    assert.equal(nodes[0].notAfter, clock.now / 1000 + 365 * 86400);
    assert.deepEqual(registry.listTokens(), []);

    registry.renewCertificate("0".repeat(15) + "1");
    assert.deepEqual(taken(), [], "not due: the same certificate, no event");
    clock.now += 340 * DAY;
    registry.renewCertificate("0".repeat(15) + "1");
    assert.deepEqual(taken(), ["certificate:renewed"]);

    // Bootstrap: the registry node is the only candidate; it does not answer, then it does.
    registry.hello("0".repeat(15) + "1", "10");
    assert.equal(await registry.getBootstrapPeer("0".repeat(15) + "1", 10), null);
    assert.deepEqual(taken(), ["local_node_timeout:address", "bootstrap:empty"]);
    node.answer = (t, code) => code === 1 ? localDatagram(t, 1, "198.18.0.1,1194,tcp") : null;
    assert.ok(await registry.getBootstrapPeer("0".repeat(15) + "1", 10));
    assert.deepEqual(taken(), ["bootstrap:given"]);
    assert.equal(await registry.topology(), JSON.stringify({ "": [] }));
    assert.deepEqual(taken(), ["local_node_timeout:topology"]);

    await registry.revoke("1/16");
    await assert.rejects(registry.revoke("1/16"), /no certificate/);
    assert.deepEqual(taken(), ["certificate:revoked"]);
    assert.deepEqual(registry.stats(), {
      sessions: 0,
      tokens: 0,
      prefixes: { allocated: 1, reserved: 0, free: 16 }, // buddies merge at the next purge
      networkVersion: 3,
    });

    for (const e of events) metrics.event(e);
    metrics.event({ type: "certificate", action: "issued" });
    metrics.request("getCa", 200, 0.003);
    const text = metrics.render();
    assert.match(text, /^re6st_registry_certificates_total\{action="issued"\} 1$/m);
    assert.match(text, /^re6st_registry_certificates_total\{action="revoked"\} 0$/m);
    assert.match(text, /^re6st_registry_requests_total\{method="getCa",status="200"\} 1$/m);
    assert.match(
      text,
      /^re6st_registry_request_duration_seconds_bucket\{method="getCa",le="0\.0025"\} 0$/m,
    );
    assert.match(
      text,
      /^re6st_registry_request_duration_seconds_bucket\{method="getCa",le="0\.005"\} 1$/m,
    );
    assert.match(text, /^re6st_registry_prefixes\{state="allocated"\} 1$/m);
    assert.match(text, /^re6st_registry_network_version 3$/m);
  } finally {
    registry.close();
    node.close();
  }
});
