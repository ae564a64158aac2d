/**
 * Country and continent of IP addresses from a GeoIP2/GeoLite2 Country (or City) database: the
 * record's `country.iso_code` and `continent.code`. Records without a country are tolerated
 * (spec §17.2); codes that are not two capital letters are ignored, so that nothing but `CC`
 * can reach an address string's 4th field. A malformed record is logged and treated as unknown.
 */
import { logger } from "../log.ts";
import type { MmdbValue } from "./data_decoder.ts";
import { MmdbError } from "./error.ts";
import { MmdbReader } from "./mmdb.ts";

const log = logger("geoip");

/** Where an address is: ISO-3166 country and continent codes (`FR`, `EU`). */
export interface GeoLocation {
  country?: string;
  continent?: string;
}

/** Environment variable naming the GeoIP database (spec §2.2). */
export const GEOIP_ENV = "GEOIP2_MMDB";

function code(record: MmdbValue, section: string, key: string): string | undefined {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const part = (record as Record<string, MmdbValue>)[section];
  if (typeof part !== "object" || part === null || Array.isArray(part)) return undefined;
  const value = (part as Record<string, MmdbValue>)[key];
  return typeof value === "string" && /^[A-Z]{2}$/.test(value) ? value : undefined;
}

/** Country and continent of `ip` in `reader`, or undefined when unknown. */
export function countryOf(reader: MmdbReader, ip: string): GeoLocation | undefined {
  let record;
  try {
    record = reader.lookup(ip);
  } catch (e) {
    if (!(e instanceof MmdbError)) throw e;
    log.warn(`${ip}: ${e.message}`);
    return undefined;
  }
  if (record === undefined) return undefined;
  const where: GeoLocation = {};
  const country = code(record, "country", "iso_code");
  const continent = code(record, "continent", "code");
  if (country) where.country = country;
  if (continent) where.continent = continent;
  return country || continent ? where : undefined;
}

/** A country database: geolocation for the registry (communities, `getCountry`) and nodes. */
export class CountryDatabase {
  constructor(readonly reader: MmdbReader) {}

  /** Opens the database file at `path`; throws `MmdbError` with a clear reason. */
  static open(path: string): CountryDatabase {
    return new CountryDatabase(MmdbReader.open(path));
  }

  /** Country and continent of `ip`, or undefined when unknown. */
  locate(ip: string): GeoLocation | undefined {
    return countryOf(this.reader, ip);
  }
}

/** The database named by `GEOIP2_MMDB`, if set; throws `MmdbError` when it cannot be used. */
export function databaseFromEnvironment(): CountryDatabase | undefined {
  const path = Deno.env.get(GEOIP_ENV);
  return path ? CountryDatabase.open(path) : undefined;
}
