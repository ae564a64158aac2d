/**
 * Client of one Internet Gateway Device's WAN connection service (spec §13.1): discovery
 * (SSDP → description → service), and the SOAP actions the port mapper needs.
 */
import { logger } from "../../log.ts";
import { parseDescription, pickWanService } from "./description.ts";
import { HttpError, httpRequest } from "./http.ts";
import { discoverIgds, type DiscoverOptions } from "./ssdp.ts";
import {
  parseSoapResponse,
  soapActionHeader,
  soapEnvelope,
  SoapError,
  type SoapResult,
  UPNP_ERRORS,
} from "./soap.ts";

const log = logger("upnp");

/** Transport protocol of a mapping, as UPnP spells it. */
export type MappingProtocol = "TCP" | "UDP";

/** A port mapping request (remote host always empty: any remote host). */
export interface PortMapping {
  externalPort: number;
  protocol: MappingProtocol;
  internalPort: number;
  internalClient: string;
  description: string;
  /** seconds; 0 asks for a permanent mapping */
  leaseDuration: number;
}

/** What `getSpecificPortMappingEntry` reports about an existing mapping. */
export interface MappingEntry {
  internalPort: number;
  internalClient: string;
  enabled: boolean;
  description: string;
  leaseDuration: number;
}

/** The port-mapping operations of an IGD; implemented by `IgdClient`. */
export interface Igd {
  /** our LAN address as the IGD sees it (internal client of our mappings) */
  readonly lanAddress: string;
  getExternalIPAddress(): Promise<string>;
  addPortMapping(m: PortMapping): Promise<void>;
  deletePortMapping(externalPort: number, protocol: MappingProtocol): Promise<void>;
  getSpecificPortMappingEntry(
    externalPort: number,
    protocol: MappingProtocol,
  ): Promise<MappingEntry | undefined>;
}

/** Options of `IgdClient.discover`. */
export interface IgdDiscoverOptions extends DiscoverOptions {
  /** deadline of each HTTP exchange with the IGD (default 5000 ms) */
  httpTimeoutMs?: number;
}

/** No usable IGD answered (none at all, or none with a WAN connection service). */
export class NoIgdError extends Error {
  override name = "NoIgdError";
}

/** SOAP client of one WAN connection service. */
export class IgdClient implements Igd {
  constructor(
    readonly controlUrl: string,
    readonly serviceType: string,
    readonly lanAddress: string,
    private readonly httpTimeoutMs = 5000,
  ) {}

  /**
   * Finds an IGD: SSDP, then each answer's description in turn until one offers a WAN
   * connection service. Answers that cannot be fetched or parsed are logged and skipped.
   */
  static async discover(opts: IgdDiscoverOptions = {}): Promise<IgdClient> {
    const answers = await discoverIgds(opts);
    if (answers.length === 0) throw new NoIgdError("no UPnP IGD answered the SSDP search");
    const httpTimeoutMs = opts.httpTimeoutMs ?? 5000;
    for (const a of answers) {
      try {
        const r = await httpRequest(a.location, { timeoutMs: httpTimeoutMs });
        if (r.status !== 200) throw new HttpError(`HTTP status ${r.status}`);
        const service = pickWanService(parseDescription(r.body, a.location));
        if (!service) throw new Error("no WANIPConnection/WANPPPConnection service");
        log.info(
          `IGD ${service.serviceType} at ${service.controlUrl}, LAN address ${r.localAddress}`,
        );
        return new IgdClient(
          service.controlUrl,
          service.serviceType,
          r.localAddress,
          httpTimeoutMs,
        );
      } catch (e) {
        log.info(`dropped IGD candidate ${a.location}: ${(e as Error).message}`);
      }
    }
    throw new NoIgdError(`none of ${answers.length} SSDP answers led to a usable IGD`);
  }

  /** Invokes `action` and returns its output arguments; throws `SoapError`/`HttpError`. */
  async call(action: string, args: readonly [string, string | number][]): Promise<SoapResult> {
    const r = await httpRequest(this.controlUrl, {
      method: "POST",
      headers: {
        "Content-Type": 'text/xml; charset="utf-8"',
        SOAPAction: soapActionHeader(this.serviceType, action),
      },
      body: soapEnvelope(this.serviceType, action, args),
      timeoutMs: this.httpTimeoutMs,
    });
    return parseSoapResponse(action, r.status, r.body);
  }

  /** The IGD's external IPv4 address (dotted quad); throws if the answer is not one. */
  async getExternalIPAddress(): Promise<string> {
    const ip = (await this.call("GetExternalIPAddress", [])).get("NewExternalIPAddress") ?? "";
    if (!isIPv4(ip) || ip === "0.0.0.0") {
      throw new SoapError(
        "GetExternalIPAddress",
        `unusable external address ${JSON.stringify(ip)}`,
      );
    }
    return ip;
  }

  /** Adds (or re-adds) a mapping; a port taken by another client fails with code 718. */
  async addPortMapping(m: PortMapping): Promise<void> {
    await this.call("AddPortMapping", [
      ["NewRemoteHost", ""],
      ["NewExternalPort", m.externalPort],
      ["NewProtocol", m.protocol],
      ["NewInternalPort", m.internalPort],
      ["NewInternalClient", m.internalClient],
      ["NewEnabled", 1],
      ["NewPortMappingDescription", m.description],
      ["NewLeaseDuration", m.leaseDuration],
    ]);
  }

  /** Deletes a mapping; one that does not exist (714) counts as deleted. */
  async deletePortMapping(externalPort: number, protocol: MappingProtocol): Promise<void> {
    try {
      await this.call("DeletePortMapping", [
        ["NewRemoteHost", ""],
        ["NewExternalPort", externalPort],
        ["NewProtocol", protocol],
      ]);
    } catch (e) {
      if (!(e instanceof SoapError && e.code === UPNP_ERRORS.noSuchEntryInArray)) throw e;
    }
  }

  /** The mapping of an external port, or undefined when there is none (714). */
  async getSpecificPortMappingEntry(
    externalPort: number,
    protocol: MappingProtocol,
  ): Promise<MappingEntry | undefined> {
    let r: SoapResult;
    try {
      r = await this.call("GetSpecificPortMappingEntry", [
        ["NewRemoteHost", ""],
        ["NewExternalPort", externalPort],
        ["NewProtocol", protocol],
      ]);
    } catch (e) {
      if (e instanceof SoapError && e.code === UPNP_ERRORS.noSuchEntryInArray) return undefined;
      throw e;
    }
    const port = Number(r.get("NewInternalPort"));
    const client = r.get("NewInternalClient") ?? "";
    if (!Number.isInteger(port) || port < 1 || port > 65535 || !isIPv4(client)) {
      throw new SoapError("GetSpecificPortMappingEntry", "malformed mapping entry");
    }
    return {
      internalPort: port,
      internalClient: client,
      enabled: r.get("NewEnabled") === "1",
      description: r.get("NewPortMappingDescription") ?? "",
      leaseDuration: Number(r.get("NewLeaseDuration") ?? 0) || 0,
    };
  }
}

/** True for a dotted-quad IPv4 address. */
export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
