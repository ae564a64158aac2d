/**
 * Country lookups over a fixture database: country and continent codes, records without a
 * country (tolerated, spec §17.2), codes that could corrupt an address string (ignored), corrupt
 * records (unknown, logged), and the node's endpoint filter placing endpoints that carry no
 * country field by GeoIP (statement 58).
 */
import assert from "node:assert/strict";
import { CountryDatabase, countryOf } from "../../lib/geoip/country.ts";
import { MmdbReader } from "../../lib/geoip/mmdb.ts";
import { filterEndpoints } from "../../lib/node/tunnel/endpoint_filter.ts";
import { parseAddresses } from "../../lib/wire/address.ts";
import { countryRecord, writeMmdb } from "./mmdb_writer.ts";

const bytes = writeMmdb([
  { cidr: "198.18.1.0/24", value: countryRecord("FR", "EU") },
  { cidr: "198.18.2.0/24", value: countryRecord("DE", "EU") },
  { cidr: "198.18.3.0/24", value: { continent: { code: "AS" } } },
  { cidr: "198.18.4.0/24", value: countryRecord("F,", "EU") },
  { cidr: "198.18.5.0/24", value: "just a string" },
  { cidr: "2001:db8:1::/48", value: countryRecord("FR", "EU") },
  { cidr: "2001:db8:2::/48", value: countryRecord("JP", "AS") },
], { recordSize: 24, ipv4Aliases: ["::ffff:0:0/96"] });
const db = new CountryDatabase(MmdbReader.fromBytes(bytes));

Deno.test("geoip country: codes of the country and the continent", () => {
  assert.deepEqual(db.locate("198.18.1.20"), { country: "FR", continent: "EU" });
  assert.deepEqual(db.locate("::ffff:198.18.2.1"), { country: "DE", continent: "EU" });
  assert.deepEqual(db.locate("2001:db8:2::9"), { country: "JP", continent: "AS" });
  assert.equal(db.locate("198.18.9.9"), undefined, "not in the database");
  assert.equal(db.locate("garbage"), undefined);
});

Deno.test("geoip country: records without a country or with odd codes are tolerated", () => {
  assert.deepEqual(db.locate("198.18.3.3"), { continent: "AS" }, "continent only");
  assert.deepEqual(db.locate("198.18.4.4"), { continent: "EU" }, "'F,' is no country code");
  assert.equal(db.locate("198.18.5.5"), undefined, "record is not a map");
});

Deno.test("geoip country: a corrupt record reads as unknown", () => {
  const broken = bytes.slice();
  // the first record of the data section is the FR map: make its control byte an end marker
  const nodes = MmdbReader.fromBytes(bytes).metadata.nodeCount;
  const dataStart = nodes * 6 + 16;
  broken[dataStart] = 0x00;
  broken[dataStart + 1] = 0x06;
  assert.equal(countryOf(MmdbReader.fromBytes(broken), "198.18.1.1"), undefined);
});

Deno.test("geoip country: CountryDatabase.open reads a file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".mmdb" });
  try {
    await Deno.writeFile(path, bytes);
    assert.equal(CountryDatabase.open(path).locate("2001:db8:1::1")?.country, "FR");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("statement 58: endpoints without a country field are placed by the node's GeoIP database", () => {
  const endpoints = parseAddresses(
    "198.18.1.1,1194,udp;198.18.2.1,1194,udp;198.18.9.1,1194,udp;198.18.2.2,1194,udp,FR",
  );
  const geo = (ip: string) => db.locate(ip)?.country;
  const policy = { disabledProtocols: new Set<string>(), sameCountry: ["FR"], geo };
  const fromFrance = filterEndpoints(endpoints, { ...policy, ourCountry: { ipv4: "FR" } });
  assert.deepEqual(fromFrance.map((e) => e.ip), ["198.18.1.1", "198.18.2.2"], "FR only");
  const fromGermany = filterEndpoints(endpoints, { ...policy, ourCountry: { ipv4: "DE" } });
  assert.deepEqual(
    fromGermany.map((e) => e.ip),
    ["198.18.2.1", "198.18.9.1"],
    "never FR; the 4th field wins over GeoIP",
  );
});
