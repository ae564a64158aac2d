/**
 * Decoding of registry answers that are more than text (spec §3.5, §7.1): the zlib-compressed
 * JSON network configuration and the decrypted bootstrap peer.
 */
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import { isBits } from "../wire/prefix.ts";

/**
 * Network parameters as sent: JSON values, except that the keys listed under `""` are decoded
 * from base64 to bytes (and `""` itself is removed).
 */
export type NetworkConfig = Record<string, unknown>;

/** Inflates and parses a `getNetworkConfig` body; throws an Error on malformed input. */
export function decodeNetworkConfig(body: Uint8Array): NetworkConfig {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(inflateSync(body));
  } catch {
    throw new Error("network config is not zlib-compressed UTF-8 text");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("network config is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error("network config is not a JSON object");
  }
  const config = { ...json } as Record<string, unknown>;
  const binary = config[""] ?? [];
  delete config[""];
  if (!Array.isArray(binary)) throw new Error(`network config "" is not a list`);
  for (const key of binary) {
    const value = config[key];
    if (typeof key !== "string" || typeof value !== "string") {
      throw new Error(`network config base64 entry ${JSON.stringify(key)} is not a string`);
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      throw new Error(`network config entry ${JSON.stringify(key)} is not base64`);
    }
    config[key] = new Uint8Array(Buffer.from(value, "base64"));
  }
  return config;
}

/** A peer proposed by the registry: its prefix and its address string (spec §0). */
export interface BootstrapPeer {
  prefix: string;
  address: string;
}

/** Parses the decrypted `"<prefix bits> <address>"`; throws an Error on malformed input. */
export function parseBootstrapPeer(plain: Uint8Array): BootstrapPeer {
  const text = new TextDecoder().decode(plain).trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 2 || !isBits(parts[0]) || parts[0] === "") {
    throw new Error(`malformed bootstrap peer ${JSON.stringify(text)}`);
  }
  return { prefix: parts[0], address: parts[1] };
}
