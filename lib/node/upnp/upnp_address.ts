/**
 * The daemon's UPnP address source (spec §13.1, §10.8): runs a `PortMapper` for our IPv4
 * servers when `upnpPlan` says so, in the background (start-up never waits for the IGD), and
 * hands its mapped endpoints `(external ip, external port, proto)` to the `AddressBook`.
 * Refreshes when the mapper is due (every 500 s, or 60 s after a failure), calls `onChange`
 * whenever the mapped endpoints change, and deletes the mappings at `stop`. Without a usable
 * IGD it maps nothing: the book then falls back to the IPv4 our peers' servers push
 * (`external_ip`), like `--ip any`.
 */
import type { ServerPort } from "../../config/node_options.ts";
import { logger } from "../../log.ts";
import { type Endpoint, formatAddresses } from "../../wire/address.ts";
import type { PortMapper as AddressMapper } from "../address_book.ts";
import type { Igd } from "./igd.ts";
import { PortMapper } from "./port_mapper.ts";
import { upnpPlan } from "./upnp_plan.ts";

const log = logger("upnp");
/** Longest single timer (setTimeout overflows past 2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of `UpnpAddress.create`. */
export interface UpnpAddressOptions {
  /** `--ip` values */
  ip: readonly string[];
  /** our running OpenVPN servers */
  servers: readonly ServerPort[];
  /** the mapped endpoints changed (republish the address) */
  onChange: () => void;
  /** finds the IGD (default: SSDP discovery) */
  discover?: () => Promise<Igd>;
}

/** Mapped endpoints for the address book, kept alive in the background. */
export class UpnpAddress implements AddressMapper {
  readonly #mapper: PortMapper;
  readonly #onChange: () => void;
  #mapped: Endpoint[] = [];
  #timer?: ReturnType<typeof setTimeout>;
  /** the one running mapper operation (start, tick, stop never overlap) */
  #busy: Promise<unknown> = Promise.resolve();
  #stopped = false;

  private constructor(mapper: PortMapper, onChange: () => void) {
    this.#mapper = mapper;
    this.#onChange = onChange;
  }

  /** An address source if UPnP applies to these options (see `upnpPlan`), else undefined. */
  static create(o: UpnpAddressOptions): UpnpAddress | undefined {
    const plan = upnpPlan(o.ip, o.servers);
    if (plan.mode === "off") return undefined;
    log.info(`UPnP ${plan.mode}: mapping ${plan.servers.map((s) => `${s.port}/${s.proto}`)}`);
    const mapper = new PortMapper({
      servers: plan.servers,
      implicit: plan.mode === "implicit",
      discover: o.discover,
    });
    return new UpnpAddress(mapper, o.onChange);
  }

  /** `AddressMapper`: the mapped IPv4 endpoints, undefined when nothing is mapped. */
  endpoints(): Endpoint[] | undefined {
    return this.#mapped.length ? this.#mapped.map((e) => ({ ...e })) : undefined;
  }

  /** Discovers the IGD and maps our servers in the background. */
  start(): void {
    this.#run(async () => {
      const r = await this.#mapper.start();
      if (r.kind === "not-natted") log.info("no UPnP IGD: our IPv4 is learnt from peers");
      return this.#mapper.endpoints;
    });
  }

  /** Waits for the running operation, deletes our mappings and stops refreshing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#busy.catch(() => {});
    await this.#mapper.stop();
    this.#set([]);
  }

  #run(op: () => Promise<Endpoint[]>): void {
    this.#busy = this.#busy.then(async () => {
      if (this.#stopped) return;
      try {
        this.#set(await op());
      } catch (e) {
        log.warn(`UPnP: ${(e as Error).message}`);
      }
      this.#schedule();
    });
  }

  #schedule(): void {
    const due = this.#mapper.dueAt;
    if (this.#stopped || due === Infinity) return;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now()));
    this.#timer = setTimeout(() => this.#run(() => this.#mapper.tick()), wait);
  }

  #set(endpoints: Endpoint[]): void {
    if (formatAddresses(endpoints) === formatAddresses(this.#mapped)) return;
    this.#mapped = endpoints;
    this.#onChange();
  }
}
