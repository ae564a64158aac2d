/**
 * The node's UPnP port mapper (spec §13.1, §10.8): one mapping per IPv4 OpenVPN server, on an
 * external port drawn from `PortSequence`; refreshed every 500 s (all mappings re-added, the
 * external IP re-read); on failure our mappings are deleted and discovery is retried after
 * 60 s; `stop` deletes them. Time and randomness are injected; the IGD is behind `Igd`.
 */
import type { Endpoint } from "../../wire/address.ts";
import { logger } from "../../log.ts";
import { type Igd, IgdClient, type MappingProtocol } from "./igd.ts";
import { PortSequence, type RandomInt, randomPortSeed } from "./port_sequence.ts";
import { SoapError, UPNP_ERRORS } from "./soap.ts";

const log = logger("upnp");

/** Milliseconds between two forced refreshes. */
export const REFRESH_INTERVAL_MS = 500_000;
/** Delay before trying discovery again after a failure. */
export const RETRY_DELAY_MS = 60_000;
/** Conflicting ports tried per refresh before giving up. */
export const MAX_PORT_TRIES = 15;
/** Time spent choosing ports per refresh before giving up. */
export const PORT_TRY_BUDGET_MS = 1000;

/** A local IPv4 OpenVPN server to expose. */
export interface LocalServer {
  proto: "tcp" | "udp";
  port: number;
}

/** Options of `PortMapper`. */
export interface PortMapperOptions {
  servers: readonly LocalServer[];
  /** UPnP was not asked for explicitly (`--ip` absent): no IGD means "not NATed" */
  implicit: boolean;
  /** finds the IGD (default: `IgdClient.discover()`) */
  discover?: () => Promise<Igd>;
  random?: RandomInt;
  /** milliseconds clock (default `Date.now`) */
  now?: () => number;
}

/**
 * Outcome of `start`: mappings made; no IGD while UPnP was implicit (learn the address like
 * `any`); or no IGD yet while UPnP was explicit (retried at `dueAt`).
 */
export type PortMapperStart =
  | { kind: "mapped"; endpoints: Endpoint[] }
  | { kind: "not-natted" }
  | { kind: "waiting" };

interface Rule {
  server: LocalServer;
  externalPort?: number;
}

interface Budget {
  tries: number;
  deadline: number;
}

/** Keeps our port mappings on the IGD alive. */
export class PortMapper {
  private readonly discoverIgd: () => Promise<Igd>;
  private readonly now: () => number;
  private readonly ports: PortSequence;
  private readonly rules: Rule[];
  private igd?: Igd;
  private externalIp?: string;
  private due = Infinity;

  constructor(private readonly opts: PortMapperOptions) {
    this.discoverIgd = opts.discover ?? (() => IgdClient.discover());
    this.now = opts.now ?? Date.now;
    this.ports = new PortSequence(randomPortSeed(opts.random));
    this.rules = opts.servers.map((server) => ({ server }));
  }

  /** When the next `tick` has work to do (ms on the injected clock; Infinity: never). */
  get dueAt(): number {
    return this.due;
  }

  /** Advertised IPv4 endpoints `(external IP, external port, proto)` of the live mappings. */
  get endpoints(): Endpoint[] {
    const ip = this.externalIp;
    if (!this.igd || !ip) return [];
    return this.rules.filter((r) => r.externalPort !== undefined).map((r) => ({
      ip,
      port: r.externalPort!,
      proto: r.server.proto,
    }));
  }

  /**
   * Discovers the IGD and maps every server. Calls to `start`, `tick`, `refresh` and `stop`
   * must not overlap (the daemon's main loop runs them one at a time).
   */
  async start(): Promise<PortMapperStart> {
    try {
      this.igd = await this.discoverIgd();
    } catch (e) {
      if (this.opts.implicit) {
        log.info(`${(e as Error).message}: no usable UPnP IGD, assuming no NAT`);
        this.due = Infinity;
        return { kind: "not-natted" };
      }
      log.warn(`UPnP discovery failed: ${(e as Error).message}; retrying in 60 s`);
      this.due = this.now() + RETRY_DELAY_MS;
      return { kind: "waiting" };
    }
    await this.refresh(true);
    return this.igd ? { kind: "mapped", endpoints: this.endpoints } : { kind: "waiting" };
  }

  /** Runs the refresh (or the retried discovery) when `dueAt` has come; returns endpoints. */
  async tick(): Promise<Endpoint[]> {
    if (this.now() >= this.due) await this.refresh(true);
    return this.endpoints;
  }

  /**
   * Re-reads the external IP and makes sure every mapping exists: `force` re-adds all of
   * them (the periodic refresh); otherwise only missing or foreign ones are (re)created.
   * Discovers the IGD first if it was lost. On failure, deletes our mappings and schedules
   * discovery again in 60 s. Returns whether all servers are mapped.
   */
  async refresh(force = false): Promise<boolean> {
    try {
      this.igd ??= await this.discoverIgd();
      const igd = this.igd;
      this.externalIp = await igd.getExternalIPAddress();
      const budget = { tries: MAX_PORT_TRIES, deadline: this.now() + PORT_TRY_BUDGET_MS };
      for (const rule of this.rules) await this.ensure(igd, rule, force, budget);
      this.due = this.now() + REFRESH_INTERVAL_MS;
      log.debug(`UPnP mappings: ${this.describe()}`);
      return true;
    } catch (e) {
      log.warn(`UPnP refresh failed: ${(e as Error).message}; retrying discovery in 60 s`);
      await this.removeAll();
      this.igd = undefined;
      this.externalIp = undefined;
      this.due = this.now() + RETRY_DELAY_MS;
      return false;
    }
  }

  /** Deletes every mapping we made (best effort) and stops refreshing. */
  async stop(): Promise<void> {
    await this.removeAll();
    this.due = Infinity;
  }

  private async ensure(igd: Igd, rule: Rule, force: boolean, budget: Budget): Promise<void> {
    const { proto, port } = rule.server;
    const protocol = proto.toUpperCase() as MappingProtocol;
    if (rule.externalPort !== undefined) {
      if (!force) {
        const entry = await igd.getSpecificPortMappingEntry(rule.externalPort, protocol);
        if (entry && entry.internalClient === igd.lanAddress && entry.internalPort === port) {
          return;
        }
        log.info(`mapping ${rule.externalPort}/${proto} ${entry ? "taken over" : "missing"}`);
      }
      if (await this.tryAdd(igd, rule.server, rule.externalPort)) return;
      log.info(`external port ${rule.externalPort}/${proto} lost to another client`);
      rule.externalPort = undefined;
    }
    while (budget.tries > 0 && this.now() <= budget.deadline) {
      budget.tries--;
      const candidate = this.ports.next();
      if (await this.tryAdd(igd, rule.server, candidate)) {
        rule.externalPort = candidate;
        log.info(`mapped ${this.externalIp}:${candidate}/${proto} to ${igd.lanAddress}:${port}`);
        return;
      }
      log.debug(`external port ${candidate}/${proto} in conflict, trying another`);
    }
    throw new Error(`No free port for ${port}/${proto}`);
  }

  /** AddPortMapping; false on ConflictInMappingEntry, other errors thrown. */
  private async tryAdd(igd: Igd, server: LocalServer, externalPort: number): Promise<boolean> {
    try {
      await igd.addPortMapping({
        externalPort,
        protocol: server.proto.toUpperCase() as MappingProtocol,
        internalPort: server.port,
        internalClient: igd.lanAddress,
        description: `re6stnet openvpn server (${server.port}/${server.proto})`,
        leaseDuration: 0,
      });
      return true;
    } catch (e) {
      if (e instanceof SoapError && e.code === UPNP_ERRORS.conflictInMappingEntry) return false;
      throw e;
    }
  }

  private async removeAll(): Promise<void> {
    const igd = this.igd;
    for (const rule of this.rules) {
      const ext = rule.externalPort;
      if (ext === undefined) continue;
      rule.externalPort = undefined;
      if (!igd) continue;
      try {
        await igd.deletePortMapping(ext, rule.server.proto.toUpperCase() as MappingProtocol);
        log.info(`deleted mapping ${ext}/${rule.server.proto}`);
      } catch (e) {
        log.info(`could not delete mapping ${ext}/${rule.server.proto}: ${(e as Error).message}`);
      }
    }
  }

  private describe(): string {
    return this.endpoints.map((e) => `${e.ip}:${e.port}/${e.proto}`).join(" ") || "none";
  }
}
