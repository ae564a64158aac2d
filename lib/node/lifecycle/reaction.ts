/**
 * Reaction of a running node to new network parameters (spec §7.4, §9.6, §4.6), pure.
 *
 * re6stnet re-executes the whole daemon whenever a key of its restart set changes. We restart
 * only the children that use the changed value, and apply tunnel-manager settings live:
 *
 * | changed key                          | reaction                                              |
 * |--------------------------------------|-------------------------------------------------------|
 * | `babel_default`, `babel_hmac_sign`,  | restart babeld (its command line carries them)        |
 * | `babel_hmac_accept`                  |                                                       |
 * | `encrypt`                            | restart OpenVPN servers and client tunnels            |
 * | `ipv4`, `ipv4_sublen`                | re-apply the IPv4 payload (kernel), restart babeld,   |
 * |                                      | OpenVPN servers and client tunnels (`--ifconfig`)     |
 * | `hello`                              | restart the daemon (babeld hello, OpenVPN ping-exit   |
 * |                                      | and the tunnel manager's timeouts all derive from it) |
 * | `registry_prefix`                    | restart the daemon                                    |
 * | `client_count` (no `--client-count`) | live; a larger count also restarts babeld (it learns  |
 * |                                      | the new client interfaces); to or from 0 (base ⇄ full |
 * |                                      | tunnel manager) restarts the daemon                   |
 * | `max_clients` (no `--max-clients`)   | restart OpenVPN servers (`--max-clients`); to or from |
 * |                                      | 0 (servers appear/disappear) restarts the daemon      |
 * | `tunnel_refresh`, `same_country`     | live (full tunnel manager only)                       |
 * | `crl`                                | live (the daemon drops revoked peers and tunnels); a  |
 * |                                      | revoked served client is disconnected from our        |
 * |                                      | OpenVPN server (management `client-kill`), where      |
 * |                                      | re6stnet restarts; our own serial revoked ⇒ renew     |
 * |                                      | now, then restart                                     |
 * | `min_protocol` above ours            | exit ("too old")                                      |
 * | `protocol` above ours                | warning only                                          |
 * | `version`, `valid_until`, others     | nothing                                               |
 *
 * Command-line `--client-count` / `--max-clients` win over the distributed values (statement 31):
 * their keys then change nothing. Restarts and the exit wait `1 s + delay_restart` so the new
 * version is gossiped to the neighbours first (statement 69); a renewal is immediate.
 */

/** The parameters a reaction depends on (distributed values). */
export interface ReactionParams {
  clientCount: number;
  maxClients: number;
  tunnelRefresh: number;
  sameCountry?: readonly string[];
  protocol: number;
  minProtocol: number;
  /** extra seconds before a restart (`delay_restart`, default 0) */
  delayRestart: number;
}

/** Values given on the node's command line, which win over distributed ones. */
export interface CliOverrides {
  clientCount?: number;
  maxClients?: number;
}

/** Everything `planReaction` looks at. */
export interface ReactionInput {
  /** changed parameter names, as returned by the cache's `updateConfig` */
  changed: readonly string[];
  before: ReactionParams;
  after: ReactionParams;
  cli: CliOverrides;
  /** our protocol (`PROTOCOL`) */
  protocol: number;
  /** our own certificate's serial is in the new CRL */
  ownRevoked: boolean;
  /** a client currently served by one of our OpenVPN servers is in the new CRL */
  servedClientRevoked: boolean;
}

/** Tunnel-manager settings applied live. */
export interface TunnelSettings {
  clientCount: number;
  tunnelRefresh: number;
  sameCountry?: readonly string[];
}

/** What to do; every restart waits `delayMs`. */
export interface ReactionPlan {
  /** our protocol is below `min_protocol`: stop */
  exitTooOld: boolean;
  /** our certificate is revoked: renew it (then `restartDaemon`) */
  renew: boolean;
  restartDaemon: boolean;
  restartBabeld: boolean;
  restartOpenvpnServers: boolean;
  restartClientTunnels: boolean;
  /** re-apply the IPv4 payload kernel state (`ipv4_payload.ts`) */
  applyIpv4: boolean;
  /** disconnect served clients whose certificate is now revoked (no restart needed) */
  dropRevokedClients: boolean;
  /** new tunnel-manager settings, when one of them changed */
  tunnels?: TunnelSettings;
  delayMs: number;
  /** log lines for the operator */
  warnings: string[];
}

/** `client_count` and `max_clients` in effect: command line first, then distributed. */
export function effectiveCounts(
  p: ReactionParams,
  cli: CliOverrides,
): { clientCount: number; maxClients: number } {
  return {
    clientCount: cli.clientCount ?? p.clientCount,
    maxClients: cli.maxClients ?? p.maxClients,
  };
}

const BABELD_KEYS = ["babel_default", "babel_hmac_sign", "babel_hmac_accept"];
const IPV4_KEYS = ["ipv4", "ipv4_sublen"];
const DAEMON_KEYS = ["hello", "registry_prefix"];

function sameList(a?: readonly string[], b?: readonly string[]): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The reaction to a parameter change; see the module table. */
export function planReaction(i: ReactionInput): ReactionPlan {
  const has = (keys: string[]) => keys.some((k) => i.changed.includes(k));
  const old = effectiveCounts(i.before, i.cli);
  const now = effectiveCounts(i.after, i.cli);
  const full = old.clientCount > 0;
  const plan: ReactionPlan = {
    exitTooOld: i.protocol < i.after.minProtocol,
    renew: i.ownRevoked,
    restartDaemon: i.ownRevoked || has(DAEMON_KEYS) ||
      full !== now.clientCount > 0 || (old.maxClients > 0) !== (now.maxClients > 0),
    restartBabeld: has(BABELD_KEYS) || has(IPV4_KEYS) || now.clientCount > old.clientCount,
    restartOpenvpnServers: has(["encrypt"]) || has(IPV4_KEYS) || now.maxClients !== old.maxClients,
    restartClientTunnels: has(["encrypt"]) || has(IPV4_KEYS),
    applyIpv4: has(IPV4_KEYS),
    dropRevokedClients: i.servedClientRevoked,
    delayMs: i.ownRevoked ? 0 : 1000 + 1000 * Math.max(0, i.after.delayRestart),
    warnings: [],
  };
  if (
    full && now.clientCount > 0 && (
      now.clientCount !== old.clientCount || i.after.tunnelRefresh !== i.before.tunnelRefresh ||
      !sameList(i.after.sameCountry, i.before.sameCountry)
    )
  ) {
    plan.tunnels = {
      clientCount: now.clientCount,
      tunnelRefresh: i.after.tunnelRefresh,
      sameCountry: i.after.sameCountry,
    };
  }
  if (plan.exitTooOld) {
    plan.warnings.push(
      `our protocol ${i.protocol} is too old for this network (min_protocol ${i.after.minProtocol})`,
    );
  }
  if (i.after.protocol > i.protocol) {
    plan.warnings.push(`the registry runs a newer protocol (${i.after.protocol}); please upgrade`);
  }
  if (i.ownRevoked) plan.warnings.push("our certificate is revoked: renewing it");
  if (i.cli.clientCount !== undefined && i.changed.includes("client_count")) {
    plan.warnings.push(`client_count ${i.after.clientCount} ignored: --client-count given`);
  }
  if (i.cli.maxClients !== undefined && i.changed.includes("max_clients")) {
    plan.warnings.push(`max_clients ${i.after.maxClients} ignored: --max-clients given`);
  }
  return plan;
}

/** True if the plan asks for any restart (or the exit). */
export function planRestarts(p: ReactionPlan): boolean {
  return p.exitTooOld || p.restartDaemon || p.restartBabeld || p.restartOpenvpnServers ||
    p.restartClientTunnels;
}
