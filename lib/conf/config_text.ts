/** The `re6stnet.conf` that `re6st conf` writes for a newly registered node (spec §2.3). */

/**
 * Config-file text naming the registry and the files written next to it, the country when
 * known, and commented hints for debugging.
 */
export function nodeConfigText(registry: string, country?: string): string {
  return [
    `registry ${registry}`,
    "ca ca.crt",
    "cert cert.crt",
    "key cert.key",
    ...(country ? [`country ${country}`] : []),
    "# increase the log verbosity:",
    "#verbose 3",
    "# log every OpenVPN process to a file and make it verbose:",
    "#ovpnlog",
    "#O--verb",
    "#O3",
    "",
  ].join("\n");
}
