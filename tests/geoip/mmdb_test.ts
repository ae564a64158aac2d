/**
 * The MaxMind DB reader: round trips with the test writer for every record size and IP version,
 * IPv4 inside IPv6 trees, a complete database assembled byte by byte from the specification,
 * record layouts of 28 and 32 bits, and malformed files (bad metadata, truncations, random
 * corruption, garbage) that must all end in an MmdbError, never in another exception or a hang.
 */
import assert from "node:assert/strict";
import { MmdbError } from "../../lib/geoip/error.ts";
import { METADATA_MARKER } from "../../lib/geoip/metadata.ts";
import { MmdbReader } from "../../lib/geoip/mmdb.ts";
import { SearchTree } from "../../lib/geoip/search_tree.ts";
import { countryRecord, Typed, writeMmdb, type WriterOptions } from "./mmdb_writer.ts";

const NETWORKS = [
  { cidr: "198.18.0.0/16", value: countryRecord("DE", "EU") },
  { cidr: "198.18.1.0/24", value: countryRecord("FR", "EU") },
  { cidr: "198.18.2.7/32", value: countryRecord("JP", "AS") },
  { cidr: "2001:db8:1::/48", value: countryRecord("FR", "EU") },
  { cidr: "2001:db8:2::/48", value: countryRecord("US", "NA") },
];

const iso = (v: unknown) => (v as { country: { iso_code: string } } | undefined)?.country.iso_code;

function fixture(o: WriterOptions = {}): MmdbReader {
  return MmdbReader.fromBytes(writeMmdb(NETWORKS, o));
}

for (const recordSize of [24, 28, 32] as const) {
  Deno.test(`mmdb: round trip with ${recordSize}-bit records (IPv6 tree)`, () => {
    const db = fixture({ recordSize, ipv4Aliases: ["::ffff:0:0/96"] });
    assert.equal(db.metadata.recordSize, recordSize);
    assert.equal(db.metadata.ipVersion, 6);
    assert.equal(db.metadata.databaseType, "re6st-Test-Country");
    assert.equal(db.metadata.buildEpoch, 1_700_000_000n);
    assert.deepEqual(db.metadata.languages, ["en"]);
    assert.equal(iso(db.lookup("198.18.1.5")), "FR");
    assert.equal(iso(db.lookup("198.18.1.255")), "FR");
    assert.equal(iso(db.lookup("198.18.3.1")), "DE", "the broader /16 around the /24");
    assert.equal(iso(db.lookup("198.18.2.7")), "JP");
    assert.equal(iso(db.lookup("198.18.2.8")), "DE");
    assert.equal(db.lookup("198.19.0.1"), undefined);
    assert.equal(iso(db.lookup("::ffff:198.18.1.5")), "FR", "IPv4-mapped");
    assert.equal(iso(db.lookup("::198.18.1.5")), "FR", "IPv4 as stored: ::/96");
    assert.equal(iso(db.lookup("2001:db8:1:ffff::1")), "FR");
    assert.equal(iso(db.lookup("2001:db8:2::42")), "US");
    assert.equal(db.lookup("2001:db8:3::1"), undefined);
    assert.equal(db.lookup("fd00::1"), undefined);
    assert.equal(db.lookup("not an address"), undefined);
    assert.equal(db.lookup("198.18.1.256"), undefined);
  });

  Deno.test(`mmdb: round trip with ${recordSize}-bit records (IPv4 tree)`, () => {
    const db = MmdbReader.fromBytes(writeMmdb(NETWORKS.slice(0, 3), { recordSize, ipVersion: 4 }));
    assert.equal(db.metadata.ipVersion, 4);
    assert.equal(iso(db.lookup("198.18.1.5")), "FR");
    assert.equal(iso(db.lookup("::ffff:198.18.2.7")), "JP");
    assert.equal(db.lookup("2001:db8:1::1"), undefined, "IPv6 asked to an IPv4 database");
  });
}

Deno.test("mmdb: IPv4 lookups without the ::ffff:0:0/96 alias, and with values shared by pointers", () => {
  const shared = writeMmdb(NETWORKS, { pointers: true });
  const inline = writeMmdb(NETWORKS, { pointers: false });
  assert.ok(shared.length < inline.length, "pointers make the file smaller");
  for (const bytes of [shared, inline]) {
    const db = MmdbReader.fromBytes(bytes);
    assert.deepEqual(db.lookup("198.18.1.9"), {
      continent: { code: "EU", geoname_id: 6255148, names: { en: "continent EU" } },
      country: { geoname_id: 3017382, iso_code: "FR", names: { en: "country FR" } },
      registered_country: { geoname_id: 3017382, iso_code: "FR" },
    });
  }
});

Deno.test("mmdb: every writable type survives a round trip", () => {
  const value = {
    s: "é".repeat(300),
    u16: new Typed("uint16", 65535),
    u32: 4294967295,
    i32: new Typed("int32", -5),
    u64: 2n ** 63n,
    u128: 2n ** 100n,
    d: 0.25,
    f: new Typed("float", 0.5),
    t: true,
    b: new Uint8Array([0, 255]),
    a: [[], {}, [1, [2]]],
  };
  const db = MmdbReader.fromBytes(writeMmdb([{ cidr: "2001:db8::/32", value }]));
  assert.deepEqual(db.lookup("2001:db8::1"), {
    ...value,
    u16: 65535,
    i32: -5,
    f: 0.5,
  });
});

/** A whole IPv4 database assembled by hand: one node, left empty, right → {"country": …}. */
function handBuilt(): number[] {
  const str = (s: string) => {
    const b = [...new TextEncoder().encode(s)];
    return [0x40 | b.length, ...b];
  };
  const tree = [0x00, 0x00, 0x01, 0x00, 0x00, 0x11]; // left = node_count (1), right = 1 + 16 + 0
  const data = [0xe1, ...str("country"), 0xe1, ...str("iso_code"), ...str("FR")];
  const metadata = [
    0xe7,
    ...str("node_count"),
    0xc1,
    0x01,
    ...str("record_size"),
    0xa1,
    24,
    ...str("ip_version"),
    0xa1,
    4,
    ...str("database_type"),
    ...str("Hand"),
    ...str("binary_format_major_version"),
    0xa1,
    2,
    ...str("binary_format_minor_version"),
    0xa0,
    ...str("build_epoch"),
    0x04,
    0x02,
    0x65,
    0x5a,
    0x3c,
    0x00,
  ];
  return [...tree, ...new Array(16).fill(0), ...data, ...METADATA_MARKER, ...metadata];
}

Deno.test("mmdb: a database assembled byte by byte from the specification", () => {
  const db = MmdbReader.fromBytes(new Uint8Array(handBuilt()));
  assert.equal(db.metadata.nodeCount, 1);
  assert.equal(db.metadata.buildEpoch, 0x655a3c00n);
  assert.deepEqual(db.metadata.languages, []);
  assert.deepEqual(db.lookup("198.18.0.1"), { country: { iso_code: "FR" } }, "first bit 1: right");
  assert.deepEqual(db.lookup("198.19.255.255"), { country: { iso_code: "FR" } });
});

Deno.test("mmdb: 28- and 32-bit record layouts, read from hand-made node bytes", () => {
  const t28 = new SearchTree(
    new Uint8Array([0x12, 0x34, 0x56, 0xab, 0x78, 0x9a, 0xbc]),
    1,
    28,
    1 << 30,
  );
  assert.equal(t28.record(0, 0), 0xa123456, "left: high nibble of the middle byte on top");
  assert.equal(t28.record(0, 1), 0xb789abc, "right: low nibble of the middle byte on top");
  const t32 = new SearchTree(new Uint8Array([0xfe, 0xdc, 0xba, 0x98, 0, 0, 0, 1]), 1, 32, 1);
  assert.equal(t32.record(0, 0), 0xfedcba98);
  assert.equal(t32.record(0, 1), 1);
  const t24 = new SearchTree(new Uint8Array([0xff, 0xff, 0xff, 0, 1, 2]), 1, 24, 1);
  assert.equal(t24.record(0, 0), 0xffffff);
  assert.equal(t24.record(0, 1), 0x102);
});

const isMmdbError = (pattern?: RegExp) => (e: unknown) =>
  e instanceof MmdbError && (!pattern || pattern.test(e.message));

Deno.test("mmdb: bad metadata and impossible trees are refused at open with a clear reason", () => {
  const cases: Array<[WriterOptions["metadata"], RegExp]> = [
    [{ record_size: new Typed("uint16", 26) }, /unsupported record size 26/],
    [{ binary_format_major_version: new Typed("uint16", 3) }, /unsupported format version 3/],
    [{ ip_version: new Typed("uint16", 5) }, /IP version 5/],
    [{ node_count: new Typed("uint32", 100000) }, /does not fit/],
    [{ node_count: new Typed("uint32", 0) }, /empty search tree/],
    [{ node_count: "12" }, /node_count missing or not an integer/],
    [{ database_type: 4 }, /database_type missing/],
  ];
  for (const [metadata, pattern] of cases) {
    assert.throws(() => fixture({ metadata }), isMmdbError(pattern), String(pattern));
  }
  const noMeta = new Uint8Array([...handBuilt().slice(0, 40)]);
  assert.throws(() => MmdbReader.fromBytes(noMeta), isMmdbError(/no metadata marker/));
  const notMap = new Uint8Array([...METADATA_MARKER, 0x41, 0x61]);
  assert.throws(() => MmdbReader.fromBytes(notMap), isMmdbError(/metadata is not a map/));
  assert.throws(() => MmdbReader.fromBytes(new Uint8Array(0)), isMmdbError(/no metadata marker/));
  assert.throws(
    () => MmdbReader.open("/nonexistent/GeoLite2-Country.mmdb"),
    isMmdbError(/cannot read \/nonexistent\/GeoLite2-Country.mmdb/),
  );
});

Deno.test("mmdb: a tree record pointing past the data section fails the lookup, not the process", () => {
  const bytes = handBuilt();
  bytes[5] = 0xf0; // right record: far beyond the data section
  const db = MmdbReader.fromBytes(new Uint8Array(bytes));
  assert.throws(() => db.lookup("198.18.0.1"), isMmdbError(/outside the data section/));
});

/** Opens `bytes` and looks a few addresses up: anything thrown must be an MmdbError. */
function probe(bytes: Uint8Array): void {
  try {
    const db = MmdbReader.fromBytes(bytes);
    for (const ip of ["198.18.1.5", "198.18.2.7", "198.19.0.1", "2001:db8:1::1", "::1"]) {
      try {
        db.lookup(ip);
      } catch (e) {
        if (!(e instanceof MmdbError)) throw e;
      }
    }
  } catch (e) {
    if (!(e instanceof MmdbError)) throw e;
  }
}

/** Deterministic pseudo-random bytes (xorshift32). */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % 256;
  };
}

Deno.test("mmdb: truncated files at every length never crash", () => {
  for (const recordSize of [24, 28, 32] as const) {
    const full = writeMmdb(NETWORKS, { recordSize });
    for (let n = 0; n < full.length; n++) {
      probe(full.subarray(0, n));
      probe(full.subarray(n));
    }
  }
});

Deno.test("mmdb: randomly corrupted files and garbage never crash nor hang", () => {
  const next = prng(0x5eed);
  const started = performance.now();
  const full = writeMmdb(NETWORKS, { recordSize: 28 });
  for (let i = 0; i < 3000; i++) {
    const bytes = full.slice();
    for (let k = 1 + next() % 4; k > 0; k--) bytes[(next() << 8 | next()) % bytes.length] = next();
    probe(bytes);
  }
  for (let i = 0; i < 300; i++) {
    const garbage = Array.from({ length: next() * 4 }, next);
    probe(new Uint8Array(garbage));
    probe(new Uint8Array([...garbage, ...METADATA_MARKER, ...garbage.slice(0, next())]));
  }
  assert.ok(performance.now() - started < 60_000, "bounded work");
});
