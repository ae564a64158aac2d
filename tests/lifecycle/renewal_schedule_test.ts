/** Renewal while running (spec §4.4): a pass at start-up, then at the computed date. */
import assert from "node:assert/strict";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import { RENEW_PERIOD_MS } from "../../lib/node/lifecycle/renewal.ts";
import { RenewalSchedule } from "../../lib/node/lifecycle/renewal_schedule.ts";
import type { RenewResult } from "../../lib/node/lifecycle/renew_certificates.ts";
import { waitFor } from "../../lib/netns/wait.ts";
import { RenewalRegistry } from "./renewal_registry.ts";

const DAY = 86_400_000;
const PREFIX = "0000000000000101";

Deno.test("renewal schedule: the certificate is renewed when its renewal date comes, then re-armed", async () => {
  const ca = await createTestCa();
  const key = await generateRsaKey(2048);
  // the clock of node and registry: the certificate's renewal date comes 300 ms from now
  const notAfter = new Date(Math.floor((Date.now() + 60 * DAY) / 1000) * 1000);
  const offset = notAfter.getTime() - RENEW_PERIOD_MS - Date.now() - 300;
  const now = () => Date.now() + offset;
  const node = await createTestNode(ca.signer, PREFIX, {
    keyPem: key,
    notBefore: new Date(now() - 300 * DAY),
    notAfter,
  });
  const dir = await Deno.makeTempDir({ prefix: "re6st-renewal-schedule-" });
  const registry = new RenewalRegistry(ca.signer, ca.certPem);
  registry.now = now;
  registry.add(node.certPem);
  const renewed: RenewResult[] = [];
  const schedule = new RenewalSchedule({
    registry: new RegistryClient({
      url: registry.url,
      session: { ca: ca.certPem, key, prefix: PREFIX },
      timeoutMs: 5000,
    }),
    certPath: `${dir}/cert.crt`,
    caPath: `${dir}/ca.crt`,
    crl: [],
    now,
    onRenewed: (r) => renewed.push(r),
  });
  try {
    await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
    await Deno.writeTextFile(`${dir}/cert.crt`, node.certPem);
    const first = await schedule.check();
    assert.equal(first.certRenewed, false, "not due yet at start-up");
    assert.equal(schedule.nextCheck, notAfter.getTime() - RENEW_PERIOD_MS);
    assert.deepEqual(registry.calls, [], "nothing asked");
    await waitFor(() => renewed.length === 1, { timeoutMs: 10_000, what: "timer-driven renewal" });
    const fresh = parseNodeCertificate(await Deno.readTextFile(`${dir}/cert.crt`));
    assert.ok(fresh.notAfter.getTime() > now() + 360 * DAY);
    assert.equal(schedule.nextCheck, renewed[0].nextCheck);
    assert.ok(schedule.nextCheck > now() + 300 * DAY, "re-armed for next year");
  } finally {
    schedule.stop();
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renewal schedule: unreadable files are logged and looked at again tomorrow", async () => {
  const now = () => Date.UTC(2026, 10, 22);
  const schedule = new RenewalSchedule({
    registry: new RegistryClient({ url: "http://127.0.0.1:9/" }),
    certPath: "/nonexistent/cert.crt",
    caPath: "/nonexistent/ca.crt",
    crl: [],
    now,
    onRenewed: () => assert.fail("nothing renewed"),
  });
  try {
    const r = await schedule.check();
    assert.deepEqual(r, { certRenewed: false, caRenewed: false, nextCheck: now() + DAY });
  } finally {
    schedule.stop();
  }
});
