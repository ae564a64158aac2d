import assert from "node:assert/strict";
import {
  type BlockStore,
  mergePrefixes,
  newPrefix,
  NoFreePrefixError,
} from "../../lib/registry/allocator.ts";
import {
  DEFAULT_COMMUNITIES,
  parseCommunities,
  selectCommunity,
} from "../../lib/registry/communities.ts";
import { RegistryDb } from "../../lib/registry/db.ts";
import { bitsToCn } from "../../lib/wire/prefix.ts";
import { MemoryBlockStore } from "./memory_block_store.ts";

/** Both stores: the pure in-memory one, and the real sqlite one. */
function stores(): [
  string,
  BlockStore & { allocate(p: string): void; release(p: string): void },
][] {
  const db = new RegistryDb(":memory:");
  const fake = (prefix: string) => ({
    prefix,
    email: null,
    cert: "PEM",
    serial: 1n,
    subjectSerial: Math.floor(Math.random() * 1e9),
    notAfter: 0,
  });
  return [
    ["memory", new MemoryBlockStore()],
    [
      "sqlite",
      Object.assign(db, {
        allocate: (p: string) => db.storeCert(fake(p)),
        release: (p: string) => db.freeBlock(p),
      }),
    ],
  ];
}

const MAX = 80; // node space of a /48 network

for (const [name, store] of stores()) {
  Deno.test(`statement 20: sequential /16 allocation 0/16, 1/16, 2/16, 3/16 (${name})`, () => {
    const got = [];
    for (let i = 0; i < 4; i++) {
      const p = newPrefix(store, 16, "", MAX);
      store.allocate(p);
      got.push(bitsToCn(p));
    }
    assert.deepEqual(got, ["0/16", "1/16", "2/16", "3/16"]);
  });
}

for (const [name, store] of stores()) {
  Deno.test(`statement 21: freed siblings merge on purge and the space is reused (${name})`, () => {
    const ps = Array.from({ length: 4 }, () => {
      const p = newPrefix(store, 2, "", 4);
      store.allocate(p);
      return p;
    });
    assert.deepEqual(ps, ["00", "01", "10", "11"]);
    assert.throws(() => newPrefix(store, 2, "", 4), NoFreePrefixError);
    store.release("10");
    store.release("11");
    assert.equal(mergePrefixes(store), 1);
    assert.deepEqual(store.freeBlocks(), ["1"]);
    // a /1 request fits only because of the merge
    const p = newPrefix(store, 1, "", 4);
    assert.equal(p, "1");
    store.allocate(p);
    store.release("00");
    store.release("01");
    store.release("1");
    assert.equal(mergePrefixes(store), 2);
    assert.deepEqual(store.freeBlocks(), [""]);
  });
}

for (const [name, store] of stores()) {
  Deno.test(`statement 22: a full-length all-zero prefix is reserved, never issued (${name})`, () => {
    const first = newPrefix(store, 16, "", 16);
    assert.equal(first, "0000000000000001");
    store.allocate(first);
    assert.equal(store.blockContaining("0000000000000000")?.cert, "reserved");
    assert.equal(newPrefix(store, 16, "", 16), "0000000000000010");
    // with a community, the all-zero host part after the community is the reserved one
    const inCommunity = newPrefix(store, 13, "101", 16);
    assert.equal(inCommunity, "1010000000000001");
  });
}

for (const [name, store] of stores()) {
  Deno.test(`allocation picks the longest fitting free block and splits inside the community (${name})`, () => {
    const a = newPrefix(store, 13, "010", 80);
    assert.equal(a, "010" + "0".repeat(13));
    store.allocate(a);
    const b = newPrefix(store, 13, "001", 80);
    assert.equal(b, "001" + "0".repeat(13));
    store.allocate(b);
    const c = newPrefix(store, 13, "010", 80);
    assert.equal(c, "010" + "0".repeat(12) + "1");
    store.allocate(c);
    const d = newPrefix(store, 12, "010", 80); // a shorter block inside the same community
    assert.equal(d, "010" + "0".repeat(11) + "1");
  });
}

for (const [name, store] of stores()) {
  Deno.test(`allocation rejects invalid lengths and reports exhaustion (${name})`, () => {
    assert.throws(() => newPrefix(store, 0, "", 80), RangeError);
    assert.throws(() => newPrefix(store, 81, "", 80), RangeError);
    assert.throws(() => newPrefix(store, 79, "01", 80), RangeError);
    store.allocate(newPrefix(store, 1, "", 1));
    assert.throws(() => newPrefix(store, 1, "", 1), NoFreePrefixError);
  });
}

Deno.test("statement 23: demo communities select by country, continent, else default", () => {
  const demo = parseCommunities("# demo\n000 *\n001 @AS AU\n010 FR DE IT   # europe\n");
  assert.equal(selectCommunity(demo, { country: "FR", continent: "EU" }), "010");
  assert.equal(selectCommunity(demo, { country: "JP", continent: "AS" }), "001");
  assert.equal(selectCommunity(demo, { country: "AU", continent: "OC" }), "001");
  assert.equal(selectCommunity(demo, { country: "US", continent: "NA" }), "000");
  assert.equal(selectCommunity(demo, {}), "000");
  assert.equal(selectCommunity(DEFAULT_COMMUNITIES, { country: "FR" }), "");
  const store = new MemoryBlockStore();
  const p = newPrefix(store, 13, selectCommunity(demo, { country: "FR", continent: "EU" }), 80);
  assert.ok(p.startsWith("010") && p.length === 16);
});
