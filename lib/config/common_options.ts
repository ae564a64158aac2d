/** Option declarations several commands share. */
import { checkHttpUrl } from "./checks.ts";
import type { OptionSpec } from "./schema.ts";

/** `-V`, `--version`: print the software version and exit. */
export const VERSION_OPTION: OptionSpec = {
  name: "version",
  short: "V",
  kind: "flag",
  help: "print the software version and exit",
};

/** `--registry URL` (required, http or https), described in `--help` by `help`. */
export function registryUrlOption(help: string): OptionSpec {
  return {
    name: "registry",
    kind: "string",
    metavar: "URL",
    required: true,
    check: checkHttpUrl,
    help,
  };
}
