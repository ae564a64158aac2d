import assert from "node:assert/strict";
import {
  checkCommunities,
  type Geolocator,
  locateRequester,
  parseCommunities,
  parseLocation,
} from "../../lib/registry/communities.ts";

Deno.test("statement 23: overlapping or malformed community files are rejected", () => {
  assert.throws(() => parseCommunities("000 *\n00 FR\n"), /overlap/);
  assert.throws(() => parseCommunities("000 *\n000 FR\n"), /overlap/);
  assert.throws(() => parseCommunities("000 FR\n001 DE\n"), /exactly one/);
  assert.throws(() => parseCommunities("000 *\n001 *\n"), /exactly one/);
  assert.throws(() => parseCommunities("0a0 *\n"), /line 1.*bit string/);
  assert.throws(() => parseCommunities("000 *\n001\n"), /line 2: no location/);
  assert.throws(() => parseCommunities("000 *\n001 france\n"), /line 2: bad location/);
  assert.throws(() => parseCommunities(""), /exactly one/);
});

Deno.test("a community may not lie inside an allocated block", () => {
  const c = parseCommunities("000 *\n001 @AS AU\n010 FR DE IT\n");
  assert.doesNotThrow(() => checkCommunities(c, ["0001", "1"]));
  assert.throws(() => checkCommunities(c, ["01"]), /allocated prefix 01 contains community 010/);
  assert.throws(() => checkCommunities(c, [""]), /contains community/);
});

Deno.test("requester location: --location, else GeoIP of ip, else none", () => {
  const geo: Geolocator = {
    locate: (ip) => (ip === "198.18.0.7" ? { country: "DE", continent: "EU" } : undefined),
  };
  assert.deepEqual(locateRequester(undefined, "FR,EU", "198.18.0.7"), {
    country: "FR",
    continent: "EU",
  });
  assert.deepEqual(locateRequester(undefined, "", "198.18.0.7"), {});
  assert.deepEqual(locateRequester(geo, "fr,eu", "198.18.0.7"), { country: "FR", continent: "EU" });
  assert.deepEqual(locateRequester(geo, "", "198.18.0.7"), { country: "DE", continent: "EU" });
  assert.deepEqual(locateRequester(geo, "", "198.18.0.8"), {});
  assert.deepEqual(parseLocation("garbage,,,"), {});
  assert.deepEqual(parseLocation(",AS"), { continent: "AS" });
});
