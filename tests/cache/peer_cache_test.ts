import assert from "node:assert/strict";
import { MemoryPeerCache } from "../../lib/node/cache/memory_cache.ts";
import type { ConfigValue, PeerCache } from "../../lib/node/cache/peer_cache.ts";
import { SqlitePeerCache } from "../../lib/node/cache/sqlite_cache.ts";
import { configRows } from "../../lib/node/cache/config_rows.ts";
import { seededRandom } from "../../lib/node/tunnel/random.ts";

const OWN = "0000000000000001";
const peer = (i: number) => i.toString(2).padStart(16, "0");
const addr = (i: number) => `198.18.${i >> 8}.${i & 255},1194,tcp`;

type Factory = (seed: number) => { cache: PeerCache; cleanup: () => void };

const factories: Record<string, Factory> = {
  memory: (seed) => ({ cache: new MemoryPeerCache(OWN, seededRandom(seed)), cleanup: () => {} }),
  sqlite: (seed) => {
    const dir = Deno.makeTempDirSync();
    const cache = new SqlitePeerCache(`${dir}/cache.db`, OWN, seededRandom(seed));
    return { cache, cleanup: () => Deno.removeSync(dir, { recursive: true }) };
  },
};

for (const [kind, make] of Object.entries(factories)) {
  const withCache = (fn: (c: PeerCache) => void) => () => {
    const { cache, cleanup } = make(7);
    try {
      fn(cache);
    } finally {
      cache.close();
      cleanup();
    }
  };

  Deno.test(
    `statement 36: ${kind} cache never exceeds 200 peers, trims to client_count at exit, ` +
      "keeps blacklisted peers unselected until re-learnt",
    withCache((c) => {
      c.setMyAddress("198.18.0.1,1194,tcp");
      for (let i = 2; i < 260; i++) {
        c.addPeer(peer(i), addr(i));
        assert.ok(c.listPeers().length <= 200);
      }
      assert.equal(c.listPeers().length, 200);
      assert.equal(c.getMyAddress(), "198.18.0.1,1194,tcp", "own row is not a peer and survives");
      // blacklist one peer: it is no longer handed out for normal selection
      const [victim] = c.getPeerList()[0];
      c.connecting(victim, true);
      assert.equal(c.getAddress(victim), undefined);
      assert.ok(!c.getPeerList().some(([p]) => p === victim));
      assert.deepEqual(c.getPeerList(true).map(([p]) => p), [victim]);
      // trimming drops failed peers first
      for (let i = 260; i < 300; i++) c.addPeer(peer(i), addr(i));
      assert.equal(c.listPeers().length, 200);
      // re-learning clears the flag
      c.connecting(victim, true);
      c.addPeer(victim, "198.18.9.9,1194,tcp");
      assert.ok(c.getAddress(victim));
      c.cacheMinimize(10);
      assert.equal(c.listPeers().length, 10);
      assert.ok(c.listPeers().every((r) => !r.failed));
    }),
  );

  Deno.test(
    `${kind} cache: trimming prefers non-failed peers`,
    withCache((c) => {
      for (let i = 2; i < 202; i++) c.addPeer(peer(i), addr(i));
      for (let i = 2; i < 12; i++) c.connecting(peer(i), true);
      c.addPeer(peer(500), addr(500));
      const rows = c.listPeers();
      assert.equal(rows.length, 200);
      assert.equal(rows.filter((r) => r.failed).length, 9, "exactly one failed peer was dropped");
      c.cacheMinimize(5);
      assert.ok(c.listPeers().every((r) => !r.failed));
    }),
  );

  Deno.test(
    `${kind} cache: getPeerList excludes our own prefix, resetConnecting`,
    withCache((c) => {
      c.addPeer(OWN, addr(1));
      c.addPeer(peer(2), addr(2));
      c.addPeer(peer(3), addr(3));
      assert.deepEqual(c.getPeerList().map(([p]) => p).sort(), [peer(2), peer(3)]);
      c.connecting(peer(2), true);
      c.connecting(peer(3), true);
      assert.deepEqual(c.getPeerList(), []);
      c.resetConnecting();
      assert.equal(c.getPeerList().length, 2);
      c.deleteMyAddress();
      assert.equal(c.getMyAddress(), undefined);
    }),
  );

  Deno.test(
    `${kind} cache: address merge orderings`,
    withCache((c) => {
      const a = "198.18.0.1,1194,tcp", b = "198.18.0.2,1194,tcp", d = "198.18.0.3,443,tcp";
      c.addPeer(peer(2), `${a};${b}`);
      c.addPeer(peer(2), `${d};${b};${a}`);
      assert.equal(c.getAddress(peer(2)), `${a};${b};${d}`, "new list follows the old order");
      c.addPeer(peer(2), b, true);
      assert.equal(c.getAddress(peer(2)), `${b};${a};${d}`, "preferred address moves first");
    }),
  );

  Deno.test(
    `${kind} cache: config rows, changes and removals`,
    withCache((c) => {
      const version = btoa("\x05signature");
      const rows = configRows({
        "": ["version"],
        version,
        crl: [3, 5],
        hello: 4,
        encrypt: false,
        registry_prefix: "0000000000000000",
        babel_hmac_sign: btoa("secret"),
        babel_hmac_accept: "",
      }, (raw) => raw.map((x) => x ^ 1));
      assert.deepEqual(c.updateConfig(rows).sort(), [
        "",
        "babel_hmac_accept",
        "babel_hmac_sign",
        "crl",
        "encrypt",
        "hello",
        "registry_prefix",
        "version",
      ]);
      assert.deepEqual(c.getConfig("crl"), [3, 5]);
      assert.equal(c.getConfig("hello"), 4);
      assert.equal(c.getConfig("encrypt"), 0);
      assert.deepEqual(c.getConfig("version"), new TextEncoder().encode("\x05signature"));
      assert.deepEqual(
        c.getConfig("babel_hmac_sign"),
        new TextEncoder().encode("secret").map((x) => x ^ 1),
      );
      assert.deepEqual(c.getConfig("babel_hmac_accept"), new Uint8Array());
      assert.deepEqual(c.updateConfig(rows), [], "same parameters: nothing changed");
      const next = new Map(rows);
      next.set("hello", 15);
      next.delete("babel_hmac_accept");
      next.set("same_country:json", '["FR"]');
      assert.deepEqual(c.updateConfig(next), ["babel_hmac_accept", "hello", "same_country"]);
      assert.deepEqual(c.getConfig("same_country"), ["FR"]);
      assert.equal(c.getConfig("babel_hmac_accept"), undefined);
    }),
  );
}

Deno.test("configRows rejects bad base64 and unsupported values with a clear error", () => {
  assert.throws(() => configRows({ "": ["version"], version: "@@@" }, (x) => x), /version/);
  assert.throws(() => configRows({ "": ["version"], version: 5 }, (x) => x), /version/);
  assert.throws(() => configRows({ babel_hmac_sign: "%%" }, (x) => x), /babel_hmac_sign/);
});

Deno.test("sqlite cache persists peers and config, but not blacklisting", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/cache.db`;
    let c = new SqlitePeerCache(path, OWN, seededRandom(1));
    c.addPeer(peer(2), addr(2));
    c.connecting(peer(2), true);
    c.setMyAddress("198.18.0.1,1194,tcp");
    c.updateConfig(new Map<string, ConfigValue>([["hello", 4], ["crl:json", "[]"]]));
    c.close();
    c = new SqlitePeerCache(path, OWN, seededRandom(1));
    assert.equal(c.getAddress(peer(2)), addr(2), "try flag is volatile");
    assert.equal(c.getMyAddress(), "198.18.0.1,1194,tcp");
    assert.equal(c.getConfig("hello"), 4);
    c.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sqlite cache with another schema or garbage is moved to cache.db.bak", async () => {
  const { DatabaseSync } = await import("node:sqlite");
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/cache.db`;
    const old = new DatabaseSync(path);
    old.exec("CREATE TABLE peer (prefix TEXT, address TEXT, extra INTEGER)");
    old.exec("INSERT INTO peer VALUES ('01', 'x', 1)");
    old.close();
    let c = new SqlitePeerCache(path, OWN, seededRandom(1));
    assert.deepEqual(c.listPeers(), []);
    c.addPeer(peer(2), addr(2));
    c.close();
    assert.ok(Deno.statSync(`${path}.bak`).isFile);
    Deno.writeTextFileSync(path, "this is not a database, just text that is long enough..");
    c = new SqlitePeerCache(path, OWN, seededRandom(1));
    assert.deepEqual(c.listPeers(), []);
    c.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
