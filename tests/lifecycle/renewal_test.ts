/** Certificate and CA renewal (spec §4.4): pure decisions, and the file adapter over real HTTP. */
import assert from "node:assert/strict";
import { createCa } from "../../lib/pki/ca.ts";
import { parseCa } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { generateRsaKey } from "../../lib/pki/keys.ts";
import { createTestCa, createTestNode } from "../../lib/pki/testing.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import {
  checkNewCa,
  checkRenewedCertificate,
  classifyAnswer,
  MAX_TIMER_MS,
  nextCheck,
  RENEW_PERIOD_MS,
  renewalDue,
  RETRY_MS,
  stopDate,
  timerDelay,
} from "../../lib/node/lifecycle/renewal.ts";
import { RenewalRegistry } from "./renewal_registry.ts";
import { dirRenewal } from "./renew_dir.ts";

const DAY = 86_400_000;
const PREFIX = "0000000000000011";

const ca = await createTestCa();
const nodeKey = await generateRsaKey(2048);

Deno.test("renewal: due inside the last 30 days or when revoked", () => {
  const notAfter = new Date(Date.UTC(2027, 0, 31));
  const due = notAfter.getTime() - RENEW_PERIOD_MS;
  assert.equal(renewalDue(notAfter, due - 1), false);
  assert.equal(renewalDue(notAfter, due), true);
  assert.equal(renewalDue(notAfter, notAfter.getTime() + DAY), true, "expired: renew");
  assert.equal(renewalDue(notAfter, due - 100 * DAY, true), true, "revoked: forced");
});

Deno.test("renewal: answers, next checks and timer delays", () => {
  assert.equal(classifyAnswer("PEM\n", undefined), "none");
  assert.equal(classifyAnswer("PEM\n", ""), "none");
  assert.equal(classifyAnswer("PEM\n", "PEM"), "identical");
  assert.equal(classifyAnswer("PEM\n", "OTHER\n"), "new");
  const now = Date.UTC(2026, 10, 22);
  const notAfter = new Date(now + 100 * DAY);
  assert.equal(nextCheck(notAfter, now, false), now + 70 * DAY);
  assert.equal(nextCheck(notAfter, now, true), now + RETRY_MS, "not renewed: retry tomorrow");
  assert.equal(nextCheck(new Date(now + DAY), now, false), now, "already due: now");
  assert.equal(stopDate(now + 5, now + 3, now + 9), now + 3);
  assert.equal(timerDelay(now + 1000, now), 1000);
  assert.equal(timerDelay(now - 1000, now), 0);
  assert.equal(timerDelay(now + 70 * DAY, now), MAX_TIMER_MS, "setTimeout overflow avoided");
});

Deno.test("renewal: a renewed certificate must keep prefix and key and be signed by the CA", async () => {
  const now = Date.now();
  const current = await createTestNode(ca.signer, PREFIX, { keyPem: nodeKey, serial: 10n });
  const same = await createTestNode(ca.signer, PREFIX, { keyPem: nodeKey, serial: 11n });
  assert.equal(checkRenewedCertificate(current.cert, same.certPem, ca.signer.ca, now), undefined);
  const other = await createTestNode(ca.signer, "0000000000000100", { keyPem: nodeKey });
  assert.match(checkRenewedCertificate(current.cert, other.certPem, ca.signer.ca, now)!, /prefix/);
  const otherKey = await createTestNode(ca.signer, PREFIX, { keyPem: ca.keyPem });
  assert.match(checkRenewedCertificate(current.cert, otherKey.certPem, ca.signer.ca, now)!, /key/);
  const foreign = await createTestCa({ keyPem: ca.keyPem, subject: "/CN=foreign" });
  const forged = await createTestNode(foreign.signer, PREFIX, { keyPem: nodeKey });
  assert.match(
    checkRenewedCertificate(current.cert, forged.certPem, ca.signer.ca, now)!,
    /not signed/,
  );
  const expired = await createTestNode(ca.signer, PREFIX, {
    keyPem: nodeKey,
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now - DAY),
  });
  assert.match(checkRenewedCertificate(current.cert, expired.certPem, ca.signer.ca, now)!, /exp/);
  assert.match(checkRenewedCertificate(current.cert, "garbage", ca.signer.ca, now)!, /unparsable/);
});

Deno.test("renewal: a new CA must keep key and network", async () => {
  const reissued = await createTestCa({ keyPem: ca.keyPem, now: new Date(Date.now() + DAY) });
  assert.equal(checkNewCa(ca.signer.ca, reissued.certPem), undefined);
  const otherNet = await createTestCa({ keyPem: ca.keyPem, prefixCidr: "2001:db8:43::/48" });
  assert.match(checkNewCa(ca.signer.ca, otherNet.certPem)!, /network/);
  const otherKey = await createTestCa({ keyPem: nodeKey });
  assert.match(checkNewCa(ca.signer.ca, otherKey.certPem)!, /key/);
  assert.match(checkNewCa(ca.signer.ca, "-----BEGIN CERTIFICATE-----\nAAAA\n")!, /unparsable/);
});

/** A node directory with `ca.crt` and `cert.crt` (mode 0640) and a registry knowing the node. */
async function setup(certOpts: { notAfter?: Date; serial?: bigint }, caPem = ca.certPem) {
  const dir = await Deno.makeTempDir({ prefix: "re6st-renewal-" });
  const node = await createTestNode(ca.signer, PREFIX, {
    keyPem: nodeKey,
    notBefore: new Date(Date.now() - 300 * DAY),
    ...certOpts,
  });
  await Deno.writeTextFile(`${dir}/ca.crt`, caPem, { mode: 0o644 });
  await Deno.writeTextFile(`${dir}/cert.crt`, node.certPem, { mode: 0o640 });
  await Deno.chmod(`${dir}/cert.crt`, 0o640);
  const registry = new RenewalRegistry(ca.signer, caPem);
  registry.add(node.certPem);
  const client = new RegistryClient({
    url: registry.url,
    session: { ca: caPem, key: nodeKey, prefix: PREFIX },
    timeoutMs: 5000,
  });
  const renew = dirRenewal(dir, client);
  const close = async () => {
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { dir, node, registry, renew, close };
}

Deno.test("statement 18: a certificate in its last 30 days is renewed and replaced atomically", async () => {
  const t = await setup({ notAfter: new Date(Date.now() + 10 * DAY) });
  try {
    const root = Deno.uid() === 0;
    if (root) await Deno.chown(`${t.dir}/cert.crt`, 65534, 65534);
    const before = Date.now();
    const r = await t.renew();
    assert.equal(r.certRenewed, true);
    assert.equal(r.caRenewed, false);
    const text = await Deno.readTextFile(`${t.dir}/cert.crt`);
    const fresh = parseNodeCertificate(text);
    assert.equal(fresh.cn, t.node.cert.cn);
    assert.notEqual(fresh.serial, t.node.cert.serial);
    assert.ok(fresh.notAfter.getTime() > before + 364 * DAY, "fresh 365-day certificate");
    const st = await Deno.stat(`${t.dir}/cert.crt`);
    assert.equal(st.mode! & 0o777, 0o640, "mode kept");
    if (root) assert.deepEqual([st.uid, st.gid], [65534, 65534], "owner and group kept");
    await assert.rejects(Deno.stat(`${t.dir}/cert.crt.new`), Deno.errors.NotFound);
    const expected = fresh.notAfter.getTime() - RENEW_PERIOD_MS;
    assert.ok(Math.abs(r.nextCheck - expected) < 1000, "next check = new notAfter − 30 d");
    // a second pass has nothing to do and does not call the registry
    t.registry.calls.length = 0;
    const again = await t.renew();
    assert.deepEqual([again.certRenewed, again.caRenewed, t.registry.calls], [false, false, []]);
  } finally {
    await t.close();
  }
});

Deno.test("renewal: a certificate with more than 30 days left is not asked for", async () => {
  const notAfter = new Date(Math.floor((Date.now() + 200 * DAY) / 1000) * 1000);
  const t = await setup({ notAfter });
  try {
    const r = await t.renew();
    assert.deepEqual([r.certRenewed, r.caRenewed, t.registry.calls], [false, false, []]);
    assert.equal(r.nextCheck, notAfter.getTime() - RENEW_PERIOD_MS);
    assert.equal(await Deno.readTextFile(`${t.dir}/cert.crt`), t.node.certPem);
  } finally {
    await t.close();
  }
});

Deno.test("renewal: our serial in the CRL forces a renewal with the same notAfter", async () => {
  const notAfter = new Date(Math.floor((Date.now() + 200 * DAY) / 1000) * 1000);
  const t = await setup({ notAfter, serial: 77n });
  try {
    t.registry.crl.add(77n);
    const r = await t.renew([5n, 77n]);
    assert.equal(r.certRenewed, true);
    const fresh = parseNodeCertificate(await Deno.readTextFile(`${t.dir}/cert.crt`));
    assert.notEqual(fresh.serial, 77n);
    assert.equal(fresh.notAfter.getTime(), notAfter.getTime());
  } finally {
    await t.close();
  }
});

Deno.test("renewal: identical, refused, bad or missing answers retry in 24 h", async () => {
  const t = await setup({ notAfter: new Date(Date.now() + 10 * DAY) });
  try {
    const cases: Array<[string, string | undefined]> = [
      ["identical", t.node.certPem],
      ["another key", (await createTestNode(ca.signer, PREFIX, { keyPem: ca.keyPem })).certPem],
      ["garbage", "not a certificate"],
    ];
    for (const [what, answer] of cases) {
      t.registry.override = answer;
      const before = Date.now();
      const r = await t.renew();
      assert.equal(r.certRenewed, false, what);
      assert.ok(r.nextCheck >= before + RETRY_MS && r.nextCheck <= Date.now() + RETRY_MS, what);
      assert.equal(await Deno.readTextFile(`${t.dir}/cert.crt`), t.node.certPem, what);
    }
    await t.registry.close();
    const r = await t.renew();
    assert.equal(r.certRenewed, false, "registry down");
    assert.ok(r.nextCheck > Date.now() + RETRY_MS - 60_000);
  } finally {
    await Deno.remove(t.dir, { recursive: true });
  }
});

Deno.test("statement 18: a CA in its last 30 days is refreshed from getCa the same way", async () => {
  const old = await createCa({
    prefixCidr: "2001:db8:42::/48",
    keyPem: ca.keyPem,
    subject: "/C=FR/ST=Lille/L=Lille/O=nexedi/CN=TEST-CA",
    now: new Date(Date.now() - 350 * DAY),
    days: 365,
  });
  const t = await setup({ notAfter: new Date(Date.now() + 200 * DAY) }, old.certPem);
  try {
    t.registry.caPem = (await createTestCa({ keyPem: nodeKey })).certPem;
    const refused = await t.renew();
    assert.equal(refused.caRenewed, false, "a CA with another key is refused");
    assert.equal(await Deno.readTextFile(`${t.dir}/ca.crt`), old.certPem);
    t.registry.caPem = ca.certPem;
    const r = await t.renew();
    assert.deepEqual([r.certRenewed, r.caRenewed], [false, true]);
    assert.equal(await Deno.readTextFile(`${t.dir}/ca.crt`), ca.certPem);
    assert.equal(parseCa(ca.certPem).notAfter.getTime() > Date.now() + 3000 * DAY, true);
    assert.equal((await Deno.stat(`${t.dir}/ca.crt`)).mode! & 0o777, 0o644);
  } finally {
    await t.close();
  }
});
