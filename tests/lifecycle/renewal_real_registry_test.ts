/**
 * Statement 18 against the real `re6st registry` process: the node's renewal adapter (with the
 * real registry client) replaces `cert.crt` when its serial is revoked (same notAfter) and when
 * it enters its last 30 days (fresh 365-day certificate), keeping the file's mode.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadCaSigner, parseCa } from "../../lib/pki/ca.ts";
import { parseNodeCertificate } from "../../lib/pki/certificate.ts";
import { renewCertificate } from "../../lib/pki/issue.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import { RENEW_PERIOD_MS } from "../../lib/node/lifecycle/renewal.ts";
import {
  FakeLocalNode,
  freePort,
  makeCa,
  makeNode,
  RegistryProcess,
} from "../registry/e2e_helpers.ts";
import { dirRenewal } from "./renew_dir.ts";

const DAY = 86_400_000;

Deno.test("statement 18 (real registry): revoked and expiring certificates are renewed in place", async () => {
  const ca = await makeCa();
  const local = new FakeLocalNode();
  await local.start();
  const reg = new RegistryProcess(ca, freePort(), ["--anonymous-prefix-length", "16"], {
    RE6ST_REGISTRY_NODE_PORT: String(local.port),
  });
  await reg.start();
  const dir = await Deno.makeTempDir({ prefix: "re6st-renewal-real-" });
  try {
    const node = makeNode();
    const issued = await new RegistryClient({ url: reg.url }).requestCertificate("", node.csr);
    assert.ok(issued, "anonymous registration");
    const first = parseNodeCertificate(issued);
    await Deno.writeTextFile(`${dir}/ca.crt`, ca.caPem);
    await Deno.writeTextFile(`${dir}/cert.crt`, issued, { mode: 0o600 });
    const client = new RegistryClient({
      url: reg.url,
      session: { ca: ca.caPem, key: node.key, prefix: first.prefix },
      timeoutMs: 10_000,
    });
    const renew = dirRenewal(dir, client);
    const read = async () => parseNodeCertificate(await Deno.readTextFile(`${dir}/cert.crt`));

    // young and not revoked: nothing asked
    assert.equal((await renew([])).certRenewed, false);

    // revoked by serial: the network parameters carry it, the node renews with the same notAfter
    assert.equal(await client.revoke(first.serial.toString()), true);
    const params = await client.fetchNetworkConfig();
    const crl = (params?.crl as number[]).map(BigInt);
    assert.ok(crl.includes(first.serial), "the CRL parameter lists our serial");
    const r1 = await renew(crl);
    assert.equal(r1.certRenewed, true);
    const second = await read();
    assert.notEqual(second.serial, first.serial);
    assert.equal(second.notAfter.getTime(), first.notAfter.getTime());
    assert.equal((await Deno.stat(`${dir}/cert.crt`)).mode! & 0o777, 0o600);

    // the registry's copy enters its last 30 days (an operator edit while it is stopped)
    await reg.kill();
    const signer = loadCaSigner(ca.caPem, await Deno.readTextFile(ca.keyPath));
    const now = Date.now();
    const short = renewCertificate(signer, second, {
      serial: 900n,
      notBefore: new Date(Math.floor(now / 1000) * 1000 - 300 * DAY),
      notAfter: new Date(Math.floor(now / 1000) * 1000 + 10 * DAY),
    });
    const db = new DatabaseSync(reg.db);
    db.prepare("UPDATE cert SET cert = ?, serial = ?, not_after = ? WHERE prefix = ?").run(
      short.pem,
      "900",
      Math.floor(now / 1000) + 10 * 86400,
      first.prefix,
    );
    db.close();
    await Deno.writeTextFile(`${dir}/cert.crt`, short.pem);
    await reg.start();
    const r2 = await renew(crl);
    assert.equal(r2.certRenewed, true);
    const third = await read();
    assert.notEqual(third.serial, 900n);
    assert.ok(third.notAfter.getTime() > Date.now() + 360 * DAY, "fresh 365-day certificate");
    // next look: the earlier of the two renewal dates (this CA was made just before, 365 days)
    const caDue = new Date(parseCa(ca.caPem).notAfter).getTime() - RENEW_PERIOD_MS;
    assert.equal(r2.nextCheck, Math.min(caDue, third.notAfter.getTime() - RENEW_PERIOD_MS));
    await assert.rejects(Deno.stat(`${dir}/cert.crt.new`), Deno.errors.NotFound);
  } finally {
    await reg.kill();
    local.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(ca.dir, { recursive: true });
  }
});
