/** The registry service in-process, with an injected clock and a real UDP "local node". */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { createCa } from "../../lib/pki/ca.ts";
import { createCsr } from "../../lib/pki/csr.ts";
import { parseCommunities } from "../../lib/registry/communities.ts";
import { RegistryDb } from "../../lib/registry/db.ts";
import { FatalError, type RegistryDeps } from "../../lib/registry/service.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { setVerbosity } from "../../lib/log.ts";
import { waitFor } from "./e2e_helpers.ts";
import { startTestRegistry, TEST_PARAMETERS } from "./service_fixture.ts";

const DAY = 86400_000;
setVerbosity(1);
const ca = await createCa({ prefixCidr: "2001:db8:42::/48", bits: 2048, subject: "/CN=TEST-CA" });
const nodeKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const csr = createCsr(nodeKey, [["O", "test"]]);

/** The registry in-process (`over` replaces dependencies), on `db`. */
const setup = (over: Partial<RegistryDeps> = {}, db = new RegistryDb(":memory:")) =>
  startTestRegistry(ca, { db, ...over });

const cert = (pem: string) => new crypto.X509Certificate(pem);

Deno.test("statement 17: renewal in the last 30 days gives a fresh 365-day certificate", async () => {
  const { registry, node, clock } = await setup();
  try {
    const pem = (await registry.requestCertificate("", csr, "", ""))!;
    const p = cnToBits(/CN=(\S+)/.exec(cert(pem).subject)![1]);
    clock.now += 334 * DAY; // 31 days left
    assert.equal(registry.renewCertificate(p), pem);
    clock.now += 2 * DAY; // 29 days left
    const renewed = registry.renewCertificate(p);
    assert.notEqual(renewed, pem);
    const a = cert(pem), b = cert(renewed);
    assert.equal(b.subject, a.subject);
    assert.ok(b.publicKey.equals(a.publicKey));
    assert.equal(BigInt("0x" + b.serialNumber), 2n);
    assert.equal(Date.parse(b.validTo) - Date.parse(b.validFrom), 365 * DAY);
    assert.equal(Date.parse(b.validFrom), Math.floor(clock.now / 1000) * 1000);
    // an expired certificate still in the database (grace period) is renewed too
    clock.now += 400 * DAY;
    assert.notEqual(registry.renewCertificate(p), renewed);
  } finally {
    registry.close();
    node.close();
  }
});

Deno.test("statements 21, 25: the purge drops old tokens and certificates, merges, reschedules", async () => {
  const { registry, node, clock, db } = await setup();
  try {
    const first = (await registry.requestCertificate("", csr, "", ""))!; // registry node
    void first;
    clock.now += 200 * DAY;
    const renewedSelf = registry.renewCertificate("0".repeat(16));
    assert.ok(renewedSelf);
    const a = (await registry.requestCertificate("", csr, "", ""))!;
    const b = (await registry.requestCertificate("", csr, "", ""))!;
    assert.match(cert(a).subject, /CN=1\/16/);
    assert.match(cert(b).subject, /CN=2\/16/);
    const tok = registry.addToken("x@example.com", "")!;
    assert.equal(registry.isToken(tok), "1");
    assert.equal(registry.nextPurge(), Math.floor(clock.now / 1000) + 100 * 86400);
    // keep the registry's own certificate young, let the others expire past the grace period
    clock.now += 300 * DAY;
    registry.renewCertificate("0".repeat(16));
    clock.now += 170 * DAY;
    registry.purge();
    assert.equal(registry.isToken(tok), null);
    assert.equal(db.getCert("0000000000000001"), undefined);
    // 1/16 and 2/16 were freed; 2/16 coalesced with its free buddy 3/16 into 1/15,
    // 1/16 stays alone (its buddy 0/16 is the registry's)
    const free = db.freeBlocks();
    assert.ok(free.includes("0000000000000001"), free.join(" "));
    assert.ok(free.includes("000000000000001"), free.join(" "));
    assert.ok(!free.includes("0000000000000010"), free.join(" "));
    const again = (await registry.requestCertificate("", csr, "", ""))!;
    assert.match(cert(again).subject, /CN=1\/16/);
    assert.match(cert(again).subject, /serialNumber=1/);
  } finally {
    registry.close();
    node.close();
  }
});

Deno.test("the purge refuses to delete the registry's own certificate", async () => {
  const { registry, node, clock } = await setup();
  try {
    await registry.requestCertificate("", csr, "", "");
    clock.now += 500 * DAY;
    assert.throws(() => registry.purge(), FatalError);
  } finally {
    registry.close();
    node.close();
  }
});

Deno.test("statement 28 (registry side): new settings ⇒ version + 1 and the local node is told", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await setup({}, new RegistryDb(`${dir}/r.db`));
    await first.registry.requestCertificate("", csr, "", "");
    const v1 = first.registry.version;
    first.registry.close();
    first.node.close();
    first.db.close();
    const same = await setup({}, new RegistryDb(`${dir}/r.db`));
    assert.deepEqual(same.registry.version, v1, "same settings: same version");
    same.registry.close();
    same.node.close();
    same.db.close();
    const changed = await setup(
      {
        parameters: { ...TEST_PARAMETERS, clientCount: 3, maxClients: 6 },
      },
      new RegistryDb(`${dir}/r.db`),
    );
    assert.equal(changed.registry.version[0], v1[0] + 1);
    // told to the local node once the HTTP server listens, not before
    assert.ok(!changed.node.received.some(({ msg }) => msg.at(-1) === 0), "not yet announced");
    await changed.registry.announce();
    await waitFor(() =>
      changed.node.received.some(({ msg }) =>
        new TextDecoder().decode(msg) === "0000000000000000\0\0"
      )
    );
    changed.registry.close();
    changed.node.close();
    changed.db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("statement 23: communities chosen by --location, else by GeoIP of the address", async () => {
  const communities = parseCommunities("000 *\n001 @AS AU\n010 FR DE IT\n");
  const geo = {
    locate: (ip: string) => (ip === "198.18.0.5" ? { country: "JP", continent: "AS" } : undefined),
  };
  const { registry, node } = await setup({
    communities,
    geolocator: geo,
    anonymousPrefixLength: 13,
  });
  try {
    const cn = async (location: string, ip = "") =>
      /CN=(\S+)/.exec(
        cert((await registry.requestCertificate("", csr, location, ip))!).subject,
      )![1];
    assert.ok(cnToBits(await cn("FR,EU")).startsWith("010"));
    assert.ok(cnToBits(await cn("JP,AS")).startsWith("001"));
    assert.ok(cnToBits(await cn("US,NA")).startsWith("000"));
    assert.ok(cnToBits(await cn("", "198.18.0.5")).startsWith("001"));
    assert.equal(registry.getCountry("", "198.18.0.5"), "JP");
  } finally {
    registry.close();
    node.close();
  }
  const plain = await setup({ communities, anonymousPrefixLength: 13 });
  try {
    const prefixOf = async (location: string, ip: string) =>
      cnToBits(
        /CN=(\S+)/.exec(
          cert((await plain.registry.requestCertificate("", csr, location, ip))!).subject,
        )![1],
      );
    assert.ok((await prefixOf("FR,EU", "")).startsWith("010"), "--location without GeoIP");
    assert.ok((await prefixOf("", "198.18.0.5")).startsWith("000"), "no GeoIP: default");
  } finally {
    plain.registry.close();
    plain.node.close();
  }
});

Deno.test("a community file inside an allocated block is rejected at start", async () => {
  const db = new RegistryDb(":memory:");
  const { registry, node } = await setup({}, db);
  await registry.requestCertificate("", csr, "", ""); // allocates 0000000000000000
  registry.close();
  node.close();
  await assert.rejects(
    setup({ communities: parseCommunities("0000000000000000 *\n1 FR\n") }, db),
    /contains community/,
  );
});
