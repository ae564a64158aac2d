import assert from "node:assert/strict";
import { RegistryDb } from "../../lib/registry/db.ts";

const cert = (prefix: string, subjectSerial: number, serial: bigint, notAfter = 1000) => ({
  prefix,
  email: "a@example.com",
  cert: `PEM ${prefix}`,
  serial,
  subjectSerial,
  notAfter,
});

Deno.test("reopening a database keeps the partition (no second root row)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = new RegistryDb(`${dir}/r.db`);
    db.transaction(() => {
      db.renameBlock("", "1");
      db.insertFreeBlock("0");
    });
    db.close();
    const again = new RegistryDb(`${dir}/r.db`);
    assert.deepEqual(again.freeBlocks().sort(), ["0", "1"]);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing transaction leaves nothing behind", () => {
  const db = new RegistryDb(":memory:");
  assert.throws(() =>
    db.transaction(() => {
      db.setConfig("serial", 5);
      db.insertToken({ token: "abcdefgh", email: "x@example.com", prefixLen: 16, date: 1 });
      throw new Error("boom");
    }), /boom/);
  assert.equal(db.getConfig("serial"), undefined);
  assert.equal(db.getToken("abcdefgh"), undefined);
  // nested transactions join the outer one
  db.transaction(() => {
    db.setConfig("a", 1);
    db.transaction(() => db.setConfig("b", 2));
  });
  assert.equal(db.getConfig("b"), 2);
});

Deno.test("subject serials: smallest unused; tokens, CRL and config values round-trip", () => {
  const db = new RegistryDb(":memory:");
  assert.equal(db.smallestFreeSubjectSerial(), 0);
  db.transaction(() => {
    db.renameBlock("", "00");
    for (const p of ["01", "10", "11"]) db.insertFreeBlock(p);
    db.storeCert(cert("00", 0, 1n));
    db.storeCert(cert("01", 1, 2n));
    db.storeCert(cert("10", 3, 3n, 500));
  });
  assert.equal(db.smallestFreeSubjectSerial(), 2);
  db.freeBlock("00");
  assert.equal(db.smallestFreeSubjectSerial(), 0);
  assert.equal(db.getCertBySerial(3n)?.prefix, "10");
  assert.equal(db.getCertByEmail("a@example.com")?.prefix, "01");
  assert.equal(db.earliestNotAfter(), 500);
  assert.deepEqual(db.certsExpiredBefore(600).map((r) => r.prefix), ["10"]);
  db.insertCrl(12n, 5);
  db.insertCrl(3n, 5);
  assert.deepEqual(db.crlSerials(), [3n, 12n]);
  assert.ok(db.isRevoked(12n));
  db.setConfig("babel_hmac0", new Uint8Array([1, 2]));
  db.setConfig("babel_hmac2", new Uint8Array(0));
  assert.deepEqual(db.getConfig("babel_hmac0"), new Uint8Array([1, 2]));
  assert.deepEqual(db.getConfig("babel_hmac2"), new Uint8Array(0));
  assert.ok(db.insertToken({ token: "t", email: "e", prefixLen: 16, date: 10 }));
  assert.equal(db.insertToken({ token: "t", email: "e", prefixLen: 16, date: 10 }), false);
  assert.equal(db.oldestTokenDate(), 10);
  assert.equal(db.purgeTokens(11), 1);
});
