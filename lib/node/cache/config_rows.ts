/**
 * Network parameters (spec §7.1) → rows of the cache `config` table (§7.4): lists and dicts are
 * stored as JSON text under `<name>:json`, keys listed under `""` (e.g. `version`) are base64
 * decoded to raw bytes, `babel_hmac_*` keys are decrypted with the node key (through the injected
 * `decryptHmac`, which receives the raw encrypted bytes; an empty value stays empty), booleans
 * become 0/1 as sqlite stores them, other values are kept as they are.
 */
import type { ConfigValue } from "./peer_cache.ts";

function base64Bytes(name: string, value: unknown): Uint8Array {
  if (typeof value !== "string") throw new Error(`network parameter ${name}: expected base64`);
  try {
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    throw new Error(`network parameter ${name}: invalid base64`);
  }
}

/** Converts a decoded `getNetworkConfig` JSON object into config rows; throws on bad values. */
export function configRows(
  params: Record<string, unknown>,
  decryptHmac: (encrypted: Uint8Array) => Uint8Array,
): Map<string, ConfigValue> {
  const listed = params[""];
  const base64 = new Set(Array.isArray(listed) ? listed.filter((x) => typeof x === "string") : []);
  const rows = new Map<string, ConfigValue>();
  for (const [name, value] of Object.entries(params)) {
    if (base64.has(name)) {
      rows.set(name, base64Bytes(name, value));
    } else if (name.startsWith("babel_hmac")) {
      const raw = base64Bytes(name, value);
      rows.set(name, raw.length ? decryptHmac(raw) : raw);
    } else if (typeof value === "boolean") {
      rows.set(name, value ? 1 : 0);
    } else if (value !== null && typeof value === "object") {
      rows.set(`${name}:json`, JSON.stringify(value));
    } else if (typeof value === "string" || typeof value === "number" || value === null) {
      rows.set(name, value);
    } else {
      throw new Error(`network parameter ${name}: unsupported value`);
    }
  }
  return rows;
}
