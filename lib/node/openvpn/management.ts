import { isIpLiteral } from "./ip_literal.ts";

/**
 * Pure parser of what an OpenVPN server says on its management interface with
 * `--management-client-auth`, and formatters of the daemon's answers.
 *
 * Client notifications are blocks: a header `>CLIENT:CONNECT,cid,kid` (also `REAUTH`,
 * `ESTABLISHED,cid`, `DISCONNECT,cid`) followed by `>CLIENT:ENV,name=value` lines and
 * `>CLIENT:ENV,END`. Anything malformed is reported as a `drop` with the reason, never thrown.
 */

/** One complete client notification, or a line that was not understood. */
export type ManagementEvent =
  | {
    type: "connect";
    cid: number;
    kid: number;
    /** True for `REAUTH` (TLS renegotiation of a connected client). */
    reauth: boolean;
    env: Record<string, string>;
  }
  | { type: "established" | "disconnect"; cid: number; env: Record<string, string> }
  | { type: "error"; message: string }
  /** `>STATE:time,NAME,…` or a `state` reply; `CONNECTED` once OpenVPN is fully initialised. */
  | { type: "state"; name: string }
  | { type: "drop"; reason: string };

/** Most ENV lines accepted in one block (OpenVPN sends about 50). */
const MAX_ENV = 256;

type Pending = {
  type: "connect" | "established" | "disconnect";
  cid: number;
  kid: number;
  reauth: boolean;
  env: Record<string, string>;
  count: number;
};

const ID = /^\d{1,10}$/;

/** Turns management lines into events; keeps the block being read. */
export class ManagementParser {
  #pending: Pending | undefined;

  /** Feeds one line (without its line ending); returns the events it completes. */
  push(line: string): ManagementEvent[] {
    if (line.startsWith(">CLIENT:ENV,")) return this.#env(line.slice(12));
    const out: ManagementEvent[] = [];
    if (this.#pending) {
      out.push({ type: "drop", reason: `unterminated client block cid ${this.#pending.cid}` });
      this.#pending = undefined;
    }
    if (line.startsWith(">CLIENT:")) {
      out.push(...this.#header(line.slice(8)));
    } else if (line.startsWith("ERROR:") || line.startsWith(">FATAL:")) {
      out.push({ type: "error", message: line.slice(line.indexOf(":") + 1).trim() });
    } else if (line.startsWith(">STATE:") || /^\d+,[A-Z_]+,/.test(line)) {
      const name = line.split(",")[1];
      out.push(
        name && /^[A-Z_]+$/.test(name)
          ? { type: "state", name }
          : { type: "drop", reason: `bad state line ${JSON.stringify(line.slice(0, 80))}` },
      );
    } else if (!/^(>INFO:|>LOG:|>HOLD:|>BYTECOUNT|SUCCESS:|>NOTIFY:|END$)/.test(line)) {
      out.push({ type: "drop", reason: `unexpected line ${JSON.stringify(line.slice(0, 80))}` });
    }
    return out;
  }

  #header(rest: string): ManagementEvent[] {
    const [kind, ...ids] = rest.split(",");
    if (kind === "ADDRESS" || kind === "CR_RESPONSE") return [];
    const bad = { type: "drop", reason: `bad client header ${JSON.stringify(rest.slice(0, 80))}` };
    if (!ids.every((s) => ID.test(s))) return [bad as ManagementEvent];
    const [cid, kid] = ids.map(Number);
    if ((kind === "CONNECT" || kind === "REAUTH") && ids.length === 2) {
      this.#pending = { type: "connect", cid, kid, reauth: kind === "REAUTH", env: {}, count: 0 };
    } else if ((kind === "ESTABLISHED" || kind === "DISCONNECT") && ids.length === 1) {
      const type = kind === "ESTABLISHED" ? "established" : "disconnect";
      this.#pending = { type, cid, kid: 0, reauth: false, env: {}, count: 0 };
    } else {
      return [bad as ManagementEvent];
    }
    return [];
  }

  #env(rest: string): ManagementEvent[] {
    const p = this.#pending;
    if (!p) return [{ type: "drop", reason: "ENV line outside a client block" }];
    if (rest === "END") {
      this.#pending = undefined;
      return [
        p.type === "connect"
          ? { type: "connect", cid: p.cid, kid: p.kid, reauth: p.reauth, env: p.env }
          : { type: p.type, cid: p.cid, env: p.env },
      ];
    }
    const eq = rest.indexOf("=");
    if (eq < 1) {
      return [{ type: "drop", reason: `bad ENV line ${JSON.stringify(rest.slice(0, 80))}` }];
    }
    if (++p.count > MAX_ENV) {
      this.#pending = undefined;
      return [{ type: "drop", reason: `client block cid ${p.cid} has too many ENV lines` }];
    }
    p.env[rest.slice(0, eq)] = rest.slice(eq + 1);
    return [];
  }
}

/** What the daemon needs to know about a client of one of our servers. */
export interface ServedClient {
  /** Client certificate CN (its prefix, e.g. `1/16`). */
  cn: string;
  /** Client certificate serial. */
  serial: bigint;
  /** Client's real (underlay) address as seen by the server. */
  realIp: string;
}

/** Extracts CN, serial and real address from a client block's ENV, or says what is wrong. */
export function servedClient(env: Record<string, string>): ServedClient | string {
  const cn = env.common_name;
  if (!cn) return "no common_name";
  const serial = env.tls_serial_0;
  if (serial === undefined || !/^\d{1,60}$/.test(serial)) return "bad tls_serial_0";
  const realIp = env.trusted_ip ?? env.trusted_ip6 ?? env.untrusted_ip ?? env.untrusted_ip6;
  if (realIp === undefined || !isIpLiteral(realIp)) return "bad client address";
  return { cn, serial: BigInt(serial), realIp };
}

/**
 * Commands asking OpenVPN for its current state (one `time,NAME,…` line then `END`) and for
 * every later change (`>STATE:` lines), so readiness is seen whenever we connected.
 */
export const STATE_ON = "state on\nstate\n";

/** Answer accepting a new client: pushes its real address (re6stnet clients rely on it). */
export function acceptCommand(cid: number, kid: number, realIp: string): string {
  if (!isIpLiteral(realIp)) throw new RangeError(`not an IP address: ${realIp}`);
  return `client-auth ${cid} ${kid}\npush "setenv-safe external_ip ${realIp}"\nEND\n`;
}

/** Answer accepting a renegotiation of an already connected client (nothing to push). */
export function reauthCommand(cid: number, kid: number): string {
  return `client-auth-nt ${cid} ${kid}\n`;
}

/** Answer refusing a client; OpenVPN closes its connection. */
export function denyCommand(cid: number, kid: number, reason: string): string {
  return `client-deny ${cid} ${kid} "${reason.replace(/["\\\r\n]/g, "")}"\n`;
}

/** Command disconnecting a connected client (e.g. whose serial got revoked). */
export function killCommand(cid: number): string {
  return `client-kill ${cid}\n`;
}
