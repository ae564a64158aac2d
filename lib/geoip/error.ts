/** A MaxMind DB file that is malformed, truncated or of an unsupported kind. */
export class MmdbError extends Error {
  /** `detail`: what is wrong, without the "GeoIP database:" prefix of the message */
  constructor(readonly detail: string) {
    super(`GeoIP database: ${detail}`);
    this.name = "MmdbError";
  }
}
