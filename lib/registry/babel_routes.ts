/**
 * The node prefixes the co-located node routes (spec §3.5, §3.4 `versions`): the installed
 * routes of its babeld, read through the node's babeld socket client.
 */
import type { BabelDump } from "../node/babel/types.ts";
import { type Bits, cidrToBits } from "../wire/prefix.ts";

/**
 * Node prefixes (bits after `network`) of the installed routes of a babeld dump; routes outside
 * the network, not longer than it, or with an unparsable prefix are skipped.
 */
export function routedPrefixes(dump: BabelDump, network: Bits): Bits[] {
  const out = new Set<Bits>();
  for (const route of dump.routes) {
    if (!route.installed) continue;
    let bits: Bits;
    try {
      bits = cidrToBits(route.prefix);
    } catch {
      continue;
    }
    if (bits.length > network.length && bits.startsWith(network)) {
      out.add(bits.slice(network.length));
    }
  }
  return [...out];
}
