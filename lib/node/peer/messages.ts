/**
 * Meaning of data-packet payloads `code ‖ data` (spec §9.5) for the codes the peer layer
 * answers itself: 0 (network version), 1 (address request), 4 (software version), 5 (tunnel
 * list, through a callback), 7 (debug text). Requests are the empty forms; address lists,
 * codes 2/3 and answers to our own code 4/5 requests are handed up as "message" actions.
 */
import type { PublicKeyInput } from "../../pki/rsa.ts";
import { formatAddresses, parseAddresses } from "../../wire/address.ts";
import type { Bits } from "../../wire/prefix.ts";
import { judgeVersion } from "./network_version.ts";
import type { PeerAction } from "./actions.ts";
import type { PeerSession } from "./session.ts";

/** Message codes (low 7 bits of the first payload byte). */
export const CODE = {
  VERSION: 0,
  ADDRESS: 1,
  TUNNEL_DESTROY_REQUEST: 2,
  TUNNEL_DESTROY_CONFIRM: 3,
  SOFTWARE: 4,
  TUNNEL_LIST: 5,
  DEBUG_TEXT: 7,
} as const;

/** Bit 0x80 of the code: traffic of an exchange forwarded for the registry (spec §9.7). */
export const FORWARDED = 0x80;

/** Protocol from which peers understand the 4th (country) field of addresses. */
export const COUNTRY_PROTOCOL = 7;

/** Delay before fetching parameters after learning of a newer version (spec §9.5). */
export const NEW_VERSION_DELAY_MS = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** What message handling reads and updates. */
export interface MessageContext {
  /** Our network version blob (replaced when a newer signed one is adopted). */
  version: Uint8Array;
  readonly caKey: PublicKeyInput;
  readonly prefix: Bits;
  registryPrefix: Bits | undefined;
  /** `"<software version>, <platform>"` for code 4. */
  readonly software: string;
  /** Our address string (with country fields). */
  addresses(): string;
  /** Code 5 answer `"<n> cn1 cn2 …"`, supplied by the tunnel manager; undefined if none. */
  tunnelList?(): string | undefined;
}

/** Our address string as sent to a peer: country stripped for peers below protocol 7. */
export function addressesFor(addresses: string, peerProtocol: number | undefined): string {
  if (peerProtocol === undefined || peerProtocol >= COUNTRY_PROTOCOL) return addresses;
  return formatAddresses(parseAddresses(addresses), false);
}

function log(out: PeerAction[], level: "info" | "debug", msg: string): void {
  out.push({ type: "log", level, msg });
}

/**
 * Handles one request or notification with code `code` (0x80 already stripped) from `peer`
 * (null: the local registry over `::1`). Returns the answer data to send back after the
 * echoed code byte, or null when there is nothing to answer.
 */
export function answerMessage(
  ctx: MessageContext,
  peer: PeerSession | null,
  code: number,
  data: Uint8Array,
  out: PeerAction[],
): Uint8Array | null {
  const from = peer ? peer.prefix : "local registry";
  switch (code) {
    case CODE.VERSION:
      return versionMessage(ctx, peer, data, out);
    case CODE.ADDRESS:
      if (data.length === 0) {
        return encoder.encode(addressesFor(ctx.addresses(), peer?.protocol));
      }
      if (peer) out.push({ type: "message", peer: peer.prefix, code, data });
      return null;
    case CODE.TUNNEL_DESTROY_REQUEST:
    case CODE.TUNNEL_DESTROY_CONFIRM:
      if (peer) out.push({ type: "message", peer: peer.prefix, code, data });
      return null;
    case CODE.SOFTWARE:
      if (data.length === 0) return encoder.encode(ctx.software);
      if (peer) out.push({ type: "message", peer: peer.prefix, code, data });
      return null;
    case CODE.TUNNEL_LIST: {
      if (data.length > 0) {
        if (peer) out.push({ type: "message", peer: peer.prefix, code, data });
        return null;
      }
      if (peer && peer.prefix !== ctx.registryPrefix) {
        log(out, "debug", `${from}: tunnel list requested by a non-registry peer, ignored`);
        return null;
      }
      const list = ctx.tunnelList?.();
      return list === undefined ? null : encoder.encode(list);
    }
    case CODE.DEBUG_TEXT:
      if (peer && ctx.prefix === ctx.registryPrefix) {
        log(out, "info", `${peer.prefix}: ${decoder.decode(data)}`);
      }
      return null;
    default:
      log(out, "debug", `${from}: unknown message code ${code}`);
      return null;
  }
}

/** Code 0: compare, answer with ours if theirs is older, adopt a newer signed one. */
function versionMessage(
  ctx: MessageContext,
  peer: PeerSession | null,
  data: Uint8Array,
  out: PeerAction[],
): Uint8Array | null {
  if (data.length === 0) {
    if (!peer) out.push({ type: "newVersion", delayMs: 0 });
    return null;
  }
  const from = peer ? peer.prefix : "local registry";
  const verdict = judgeVersion(data, ctx.version, ctx.caKey);
  if (verdict === "invalid") {
    log(out, "info", `${from}: ignoring network version with an invalid signature`);
    return null;
  }
  if (peer) peer.version = data.slice();
  if (verdict === "older") return ctx.version;
  if (verdict === "newer") {
    ctx.version = data.slice();
    log(out, "info", `${from}: newer network version, fetching parameters`);
    out.push({ type: "newVersion", delayMs: NEW_VERSION_DELAY_MS });
  }
  return null;
}
