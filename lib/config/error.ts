/** The error type of option parsing: its message is the single line shown to the user. */

/** Where an argument came from: `"command line"` or `"<file>:<line>"`. */
export type Origin = string;

/** Origin of arguments given directly on the command line. */
export const COMMAND_LINE: Origin = "command line";

/** A configuration error; `message` is one line, prefixed by the origin when known. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }

  /** An error about an argument from `origin`: `"<origin>: <message>"`. */
  static at(origin: Origin, message: string): ConfigError {
    return new ConfigError(`${origin}: ${message}`);
  }
}
