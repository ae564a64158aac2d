/** Software identity shared by the registry, the node and the wire protocol. */

/** re6stnet wire protocol number we speak (spec §9.4). */
export const PROTOCOL = 10;

/** Our software version, reported by code 4 and in the User-Agent. */
export const VERSION = "0.1.0";

/** Platform string in the style of re6stnet's `<version>, <platform>` answers. */
export function platform(): string {
  return `Deno-${Deno.version.deno}-${Deno.build.os}-${Deno.build.arch}`;
}
