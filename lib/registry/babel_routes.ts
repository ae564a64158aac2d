/**
 * The node prefixes the co-located node routes (spec §3.5), read from stock babeld's text
 * local socket: after its `ok`-terminated banner we send `dump` and collect the `add route`
 * lines up to the next `ok`.
 */
import { type Bits, cidrToBits } from "../wire/prefix.ts";

/**
 * Node prefixes (bits after `network`) of the installed routes in a babeld `dump`; routes
 * outside the network, not longer than it, or unparsable are skipped.
 */
export function routedPrefixes(dump: string, network: Bits): Bits[] {
  const out = new Set<Bits>();
  for (const line of dump.split("\n")) {
    const m = /^add route \S+ prefix (\S+) .*\binstalled yes\b/.exec(line);
    if (!m) continue;
    let bits: Bits;
    try {
      bits = cidrToBits(m[1]);
    } catch {
      continue;
    }
    if (bits.length > network.length && bits.startsWith(network)) {
      out.add(bits.slice(network.length));
    }
  }
  return [...out];
}

/** Reads a whole `dump` from babeld's local socket at `path`; rejects after `timeoutMs`. */
export async function dumpBabel(path: string, timeoutMs = 3000): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(65536);
    let text = "";
    let sent = false;
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("babeld closed its local socket");
      text += decoder.decode(buf.subarray(0, n), { stream: true });
      if (!sent && /(^|\n)ok\n/.test(text)) {
        text = "";
        sent = true;
        await conn.write(new TextEncoder().encode("dump\n"));
      } else if (sent && /(^|\n)(ok|no|bad)\n$/.test(text)) {
        return text;
      }
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed by the timeout */ }
  }
}
