/**
 * Carries out a `ReactionPlan` (reaction.ts) on the running daemon through the few operations it
 * offers. Order: warnings are logged, tunnel settings applied and revoked served clients
 * disconnected at once; a revoked own certificate is renewed at once and the daemon restarted if
 * that worked; every other restart waits `delayMs` (the new version is gossiped first), then runs
 * IPv4 payload → OpenVPN servers → client tunnels → babeld. What is restarted, and which changed
 * keys need it, is logged at info. A child that fails to restart falls back to a daemon restart.
 */
import type { Logger } from "../../log.ts";
import type { ReactionPlan, Target, TunnelSettings } from "./reaction.ts";

/** What the daemon lets the runner do; each restart uses the current parameters. */
export interface ReactionTargets {
  log: Logger;
  /** clean-up and start again in-process (an `exitTooOld` node then stops at start-up) */
  restartDaemon(): void;
  /** stop babeld and start it with a command line built from the current parameters */
  restartBabeld(): Promise<void>;
  /** stop our OpenVPN servers and start them again (same ports and TAPs), new arguments */
  restartOpenvpnServers(): Promise<void>;
  /** stop every client tunnel; the tunnel manager reopens them with the new arguments */
  closeClientTunnels(): Promise<void>;
  /** remove the old IPv4 payload kernel state and apply the new one */
  applyIpv4(): Promise<void>;
  reconfigureTunnels(s: TunnelSettings): void;
  /** disconnects served clients whose certificate is revoked */
  dropRevokedClients(): void;
  /** one renewal pass; true if a new certificate was installed */
  renew(): Promise<boolean>;
  /**
   * runs `fn` after `ms` (a daemon timer, cancelled at clean-up), after the restarts scheduled
   * before it have finished
   */
  later(ms: number, fn: () => Promise<void> | void): void;
}

/** The delayed steps, in the order they run. */
const STEPS: ReadonlyArray<
  { target: Target; what: string; run: (t: ReactionTargets) => Promise<void> }
> = [
  { target: "ipv4", what: "re-applying the IPv4 payload", run: (t) => t.applyIpv4() },
  {
    target: "openvpnServers",
    what: "restarting the OpenVPN servers",
    run: (t) => t.restartOpenvpnServers(),
  },
  {
    target: "clientTunnels",
    what: "closing the client tunnels",
    run: (t) => t.closeClientTunnels(),
  },
  { target: "babeld", what: "restarting babeld", run: (t) => t.restartBabeld() },
];

function because(keys: readonly string[]): string {
  return `(${[...new Set(keys)].join(", ")})`;
}

/** Runs `plan`; returns what it decided (for the log and tests). */
export async function runReaction(
  plan: ReactionPlan,
  t: ReactionTargets,
): Promise<"none" | "daemon" | "children" | "renew-failed"> {
  for (const w of plan.warnings) t.log.warn(w);
  if (plan.tunnels) {
    t.log.info(
      `tunnel settings applied live ${because(plan.reasons.tunnelSettings)}: ` +
        JSON.stringify(plan.tunnels),
    );
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
  if (plan.dropRevokedClients) {
    t.log.info("disconnecting revoked clients from our OpenVPN servers");
    t.dropRevokedClients();
  }
  const delay = `${plan.delayMs / 1000} s`;
  if (plan.exitTooOld || plan.restartDaemon) {
    const why = plan.exitTooOld ? "(min_protocol)" : because(plan.reasons.daemon);
    t.log.info(`restarting the whole node in ${delay} to apply the new parameters ${why}`);
    t.later(plan.delayMs, () => t.restartDaemon());
    return "daemon";
  }
  const steps = STEPS.filter((s) => plan.reasons[s.target].length > 0);
  if (!steps.length) return "none";
  const what = steps.map((s) => `${s.what} ${because(plan.reasons[s.target])}`).join(", ");
  t.log.info(`in ${delay}, keeping the daemon: ${what}`);
  t.later(plan.delayMs, async () => {
    let step = "";
    try {
      for (const s of steps) {
        step = s.what;
        t.log.info(`${s.what} ${because(plan.reasons[s.target])}`);
        await s.run(t);
      }
    } catch (e) {
      t.log.error(`${step} failed (${(e as Error).message}); restarting the whole node`);
      t.restartDaemon();
    }
  });
  return "children";
}
