/**
 * Carries out a `ReactionPlan` (reaction.ts) on the running daemon through the few operations it
 * offers. Order: warnings are logged, tunnel settings applied and revoked served clients
 * disconnected at once; a revoked own
 * certificate is renewed at once and the daemon restarted if that worked; every other restart
 * waits `delayMs` (the new version is gossiped first). What the daemon cannot restart alone
 * (OpenVPN children, when it gives no `restartOpenvpn`) falls back to a whole restart.
 */
import type { Logger } from "../../log.ts";
import type { ReactionPlan, TunnelSettings } from "./reaction.ts";

/** What the daemon lets the runner do. */
export interface ReactionTargets {
  log: Logger;
  /** clean-up and start again in-process (an `exitTooOld` node then stops at start-up) */
  restartDaemon(): void;
  /** stop babeld and start it with a command line built from the current parameters */
  restartBabeld(): Promise<void>;
  /** OpenVPN servers and client tunnels with the current parameters (and the IPv4 payload) */
  restartOpenvpn?: () => Promise<void>;
  reconfigureTunnels(s: TunnelSettings): void;
  /** disconnects served clients whose certificate is revoked; absent ⇒ OpenVPN restart */
  dropRevokedClients?: () => void;
  /** one renewal pass; true if a new certificate was installed */
  renew(): Promise<boolean>;
  /** runs `fn` after `ms` (a daemon timer, cancelled at clean-up) */
  later(ms: number, fn: () => void): void;
}

/** Runs `plan`; returns what it decided (for the log and tests). */
export async function runReaction(
  plan: ReactionPlan,
  t: ReactionTargets,
): Promise<"none" | "daemon" | "children" | "renew-failed"> {
  for (const w of plan.warnings) t.log.warn(w);
  if (plan.tunnels) {
    t.log.info(`tunnel settings applied live: ${JSON.stringify(plan.tunnels)}`);
    t.reconfigureTunnels(plan.tunnels);
  }
  if (plan.renew) {
    if (await t.renew()) {
      t.log.info("restarting with the renewed certificate");
      t.restartDaemon();
      return "daemon";
    }
    t.log.warn("our revoked certificate could not be renewed; retrying tomorrow");
    return "renew-failed";
  }
  if (plan.dropRevokedClients && t.dropRevokedClients) {
    t.log.info("disconnecting revoked clients from our OpenVPN servers");
    t.dropRevokedClients();
  }
  const openvpn = plan.restartOpenvpnServers || plan.restartClientTunnels || plan.applyIpv4 ||
    (plan.dropRevokedClients && !t.dropRevokedClients);
  if (plan.exitTooOld || plan.restartDaemon || (openvpn && !t.restartOpenvpn)) {
    t.log.info(`restarting in ${plan.delayMs / 1000} s to apply the new parameters`);
    t.later(plan.delayMs, () => t.restartDaemon());
    return "daemon";
  }
  if (!plan.restartBabeld && !openvpn) return "none";
  const what = [plan.restartBabeld && "babeld", openvpn && "OpenVPN"].filter(Boolean).join(", ");
  t.log.info(`restarting ${what} in ${plan.delayMs / 1000} s to apply the new parameters`);
  t.later(plan.delayMs, async () => {
    try {
      if (openvpn) await t.restartOpenvpn!();
      if (plan.restartBabeld) await t.restartBabeld();
    } catch (e) {
      t.log.error(`restart of ${what} failed (${(e as Error).message}); restarting the daemon`);
      t.restartDaemon();
    }
  });
  return "children";
}
