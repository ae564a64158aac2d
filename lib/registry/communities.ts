/**
 * Communities (spec §5.3): sub-blocks of the node space reserved for nodes of given
 * countries or continents, parsed from the registry's `--community` file, and the choice of a
 * community for a new certificate.
 */
import { type Bits, isBits } from "../wire/prefix.ts";

/** One community: its bit prefix and its locations (`*`, `FR`, `@EU`). */
export interface Community {
  prefix: Bits;
  locations: string[];
}

/** The implicit configuration without a community file: one default community `""`. */
export const DEFAULT_COMMUNITIES: readonly Community[] = [{ prefix: "", locations: ["*"] }];

const LOCATION_RE = /^(\*|[A-Z]{2}|@[A-Z]{2})$/;

/**
 * Parses and validates a community file: lines `<bits> <location>...`, `#` comments. Exactly
 * one community must list `*`; none may be a prefix of another. Throws with the line number.
 */
export function parseCommunities(text: string): Community[] {
  const out: Community[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const [prefix, ...locations] = line.split(/\s+/);
    const where = `community file line ${i + 1}`;
    if (!isBits(prefix)) throw new Error(`${where}: ${JSON.stringify(prefix)} is not a bit string`);
    if (locations.length === 0) throw new Error(`${where}: no location for ${prefix}`);
    for (const loc of locations) {
      if (!LOCATION_RE.test(loc)) {
        throw new Error(`${where}: bad location ${JSON.stringify(loc)} (want *, CC or @CC)`);
      }
    }
    out.push({ prefix, locations });
  });
  const defaults = out.filter((c) => c.locations.includes("*"));
  if (defaults.length !== 1) {
    throw new Error(
      `community file: exactly one community must list '*' (found ${defaults.length})`,
    );
  }
  for (const a of out) {
    for (const b of out) {
      if (a !== b && b.prefix.startsWith(a.prefix)) {
        throw new Error(`community file: communities ${a.prefix} and ${b.prefix} overlap`);
      }
    }
  }
  return out;
}

/**
 * Checks communities against the blocks already in use: no allocated block may contain a
 * community (be a prefix of it). Throws naming the offending block.
 */
export function checkCommunities(communities: readonly Community[], usedBlocks: Bits[]): void {
  for (const used of usedBlocks) {
    for (const c of communities) {
      if (c.prefix.startsWith(used)) {
        throw new Error(`allocated prefix ${used || "''"} contains community ${c.prefix}`);
      }
    }
  }
}

/** Country and continent codes of a location (`FR`, `EU`). */
export interface Location {
  country?: string;
  continent?: string;
}

/** Geolocation of IP addresses (a GeoIP country database). */
export interface Geolocator {
  /** Country and continent of `ip`, or undefined if unknown. */
  locate(ip: string): Location | undefined;
}

/** Parses re6st-conf's `--location` value `"CC,CONT"`; empty or malformed parts are dropped. */
export function parseLocation(text: string): Location {
  const [country, continent] = text.split(",", 2).map((s) => s.trim().toUpperCase());
  const loc: Location = {};
  if (country && /^[A-Z]{2}$/.test(country)) loc.country = country;
  if (continent && /^[A-Z]{2}$/.test(continent)) loc.continent = continent;
  return loc;
}

/**
 * The community of a new certificate: the first listing its country, else the first listing
 * `@<continent>`, else the `*` one.
 */
export function selectCommunity(communities: readonly Community[], where: Location): Bits {
  const byCountry = where.country &&
    communities.find((c) => c.locations.includes(where.country!));
  if (byCountry) return byCountry.prefix;
  const byContinent = where.continent &&
    communities.find((c) => c.locations.includes("@" + where.continent));
  if (byContinent) return byContinent.prefix;
  return communities.find((c) => c.locations.includes("*"))!.prefix;
}

/**
 * Where a registering node is: the `--location` it sent if any, else the geolocation of its
 * `ip` when the registry has a geolocator, else nowhere (default community). re6stnet ignores
 * `--location` without a GeoIP database; we honour it, so communities work without one.
 */
export function locateRequester(
  geo: Geolocator | undefined,
  location: string,
  ip: string,
): Location {
  if (location !== "") return parseLocation(location);
  return (geo && ip && geo.locate(ip)) || {};
}
