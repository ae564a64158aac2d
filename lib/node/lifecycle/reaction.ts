/**
 * Reaction of a running node to new network parameters (spec §7.4, §9.6, §4.6), pure.
 *
 * re6stnet re-executes the whole daemon whenever a key of its restart set changes. We keep the
 * daemon (its UDP 326 sessions, peer cache, UPnP mappings, status socket) and restart only the
 * children whose command line carries the changed value; tunnel-manager settings are applied
 * live. `classifyChange` says what each changed key concerns:
 *
 * | changed key                          | concerns                                              |
 * |--------------------------------------|-------------------------------------------------------|
 * | `babel_default`, `babel_hmac_sign`,  | babeld (its command line carries them)                |
 * | `babel_hmac_accept`                  |                                                       |
 * | `encrypt`                            | OpenVPN servers and client tunnels (`--cipher`)       |
 * | `ipv4`, `ipv4_sublen`                | the IPv4 payload (kernel state, re-applied), babeld,  |
 * |                                      | OpenVPN servers and client tunnels (`--ifconfig`)     |
 * | `hello`                              | babeld (hello interval), OpenVPN servers and client   |
 * |                                      | tunnels (`--ping-exit` = 4 × hello) and the tunnel    |
 * |                                      | manager's timeout (live)                              |
 * | `registry_prefix`                    | tunnel manager, peer protocol, stale check (live)     |
 * | `client_count` (no `--client-count`) | tunnel manager (live); a larger count also restarts   |
 * |                                      | babeld (it learns the new client interfaces)          |
 * | `max_clients` (no `--max-clients`)   | OpenVPN servers (`--max-clients`)                     |
 * | `tunnel_refresh`, `same_country`     | tunnel manager (live)                                 |
 * | `crl`                                | nothing restarts: the daemon drops revoked peers and  |
 * |                                      | tunnels, and a revoked served client is disconnected  |
 * |                                      | from our OpenVPN server (management `client-kill`)    |
 * | `version`, `valid_until`, others     | nothing                                               |
 *
 * Only changes of the node's shape restart the whole daemon (in-process, same PID):
 * `client_count` to or from 0 (base ⇄ full tunnel manager), `max_clients` to or from 0 (our
 * servers, their TAPs, UPnP mappings and advertised addresses appear or disappear), and our own
 * serial in the CRL (renewed now, then restarted with the new certificate). `min_protocol` above
 * ours stops the node ("too old"); `protocol` above ours only warns.
 *
 * Command-line `--client-count` / `--max-clients` win over the distributed values (statement 31):
 * their keys then change nothing. Restarts and the exit wait `1 s + delay_restart` so the new
 * version is gossiped to the neighbours first (statement 69); a renewal is immediate.
 */
import type { Bits } from "../../wire/prefix.ts";

/** The parameters a reaction depends on (distributed values). */
export interface ReactionParams {
  clientCount: number;
  maxClients: number;
  hello: number;
  tunnelRefresh: number;
  registryPrefix: Bits;
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

/**
 * A part of the running node a parameter change concerns: `babeld` and `openvpnServers` are
 * restarted, `clientTunnels` closed (the tunnel manager reopens them with the new settings),
 * `ipv4` the payload's kernel state re-applied, `tunnelSettings` updated live.
 */
export type Target = "babeld" | "openvpnServers" | "clientTunnels" | "ipv4" | "tunnelSettings";

/** Tunnel-manager settings applied live. */
export interface TunnelSettings {
  clientCount: number;
  tunnelRefresh: number;
  sameCountry?: readonly string[];
  /** babel hello interval (s); the manager's timeout is 4 × hello */
  hello: number;
  registryPrefix: Bits;
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
  /** the changed keys behind each restart or live update (for the log) */
  reasons: Record<Target | "daemon", string[]>;
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

const OPENVPN: readonly Target[] = ["openvpnServers", "clientTunnels"];

/** What each key concerns whatever its values (see the module table). */
const KEY_TARGETS: Readonly<Record<string, readonly Target[]>> = {
  babel_default: ["babeld"],
  babel_hmac_sign: ["babeld"],
  babel_hmac_accept: ["babeld"],
  encrypt: OPENVPN,
  ipv4: ["ipv4", "babeld", ...OPENVPN],
  ipv4_sublen: ["ipv4", "babeld", ...OPENVPN],
  hello: ["babeld", ...OPENVPN, "tunnelSettings"],
  registry_prefix: ["tunnelSettings"],
  tunnel_refresh: ["tunnelSettings"],
  same_country: ["tunnelSettings"],
};

/**
 * What one changed key concerns, given the values before and after (command-line overrides
 * win; a base tunnel manager has no tunnel to refresh). Empty: nothing to restart or update.
 */
export function classifyChange(key: string, i: ReactionInput): readonly Target[] {
  const old = effectiveCounts(i.before, i.cli);
  const now = effectiveCounts(i.after, i.cli);
  const base = old.clientCount === 0 || now.clientCount === 0;
  switch (key) {
    case "max_clients":
      return old.maxClients === now.maxClients ? [] : ["openvpnServers"];
    case "client_count":
      if (old.clientCount === now.clientCount || base) return [];
      return now.clientCount > old.clientCount ? ["babeld", "tunnelSettings"] : ["tunnelSettings"];
    case "tunnel_refresh":
    case "same_country":
      return base ? [] : KEY_TARGETS[key];
    default:
      return KEY_TARGETS[key] ?? [];
  }
}

/** The reaction to a parameter change; see the module table. */
export function planReaction(i: ReactionInput): ReactionPlan {
  const old = effectiveCounts(i.before, i.cli);
  const now = effectiveCounts(i.after, i.cli);
  const reasons: ReactionPlan["reasons"] = {
    daemon: [],
    babeld: [],
    openvpnServers: [],
    clientTunnels: [],
    ipv4: [],
    tunnelSettings: [],
  };
  for (const key of i.changed) {
    for (const t of classifyChange(key, i)) reasons[t].push(key);
  }
  if ((old.clientCount > 0) !== (now.clientCount > 0)) reasons.daemon.push("client_count");
  if ((old.maxClients > 0) !== (now.maxClients > 0)) reasons.daemon.push("max_clients");
  if (i.ownRevoked) reasons.daemon.push("crl");
  const plan: ReactionPlan = {
    exitTooOld: i.protocol < i.after.minProtocol,
    renew: i.ownRevoked,
    restartDaemon: reasons.daemon.length > 0,
    restartBabeld: reasons.babeld.length > 0,
    restartOpenvpnServers: reasons.openvpnServers.length > 0,
    restartClientTunnels: reasons.clientTunnels.length > 0,
    applyIpv4: reasons.ipv4.length > 0,
    dropRevokedClients: i.servedClientRevoked,
    reasons,
    delayMs: i.ownRevoked ? 0 : 1000 + 1000 * Math.max(0, i.after.delayRestart),
    warnings: [],
  };
  if (reasons.tunnelSettings.length > 0) {
    plan.tunnels = {
      clientCount: now.clientCount,
      tunnelRefresh: i.after.tunnelRefresh,
      sameCountry: i.after.sameCountry,
      hello: i.after.hello,
      registryPrefix: i.after.registryPrefix,
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
    p.restartClientTunnels || p.applyIpv4;
}
