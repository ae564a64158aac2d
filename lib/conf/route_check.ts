/**
 * `re6st conf --is-needed` decision (spec §2.3): re6st is not needed when this host already
 * routes the re6st network with a source address inside it (re6st runs here, or we sit behind
 * a re6st router). Reads the `src` field of `ip -6 -o route get <network address>` by name,
 * not by position.
 */
import { type Bits, bytesToBits, parseIPv6 } from "../wire/prefix.ts";

/** The preferred source address of an `ip -6 -o route get` line, if it names one. */
export function routeSource(output: string): string | undefined {
  const words = output.trim().split(/\s+/);
  const i = words.indexOf("src");
  return i >= 0 ? words[i + 1] : undefined;
}

/** True if `address` (IPv6 text) lies inside the network given as bits; false if malformed. */
export function addressInNetwork(address: string, network: Bits): boolean {
  try {
    return bytesToBits(parseIPv6(address)).startsWith(network);
  } catch {
    return false;
  }
}
