/**
 * SSDP discovery of Internet Gateway Devices (spec §13.1): M-SEARCH datagrams to
 * 239.255.255.250:1900 from one UDP socket, then a bounded wait for unicast answers whose
 * `LOCATION` points at the device description. Garbage datagrams are dropped with a log line.
 */
import dgram from "node:dgram";
import { logger } from "../../log.ts";

const log = logger("upnp");

/** The SSDP multicast group and port. */
export const SSDP_GROUP = { host: "239.255.255.250", port: 1900 } as const;

/** What we search for: IGD v1 and v2 devices and their port-mapping services. */
export const IGD_SEARCH_TARGETS = [
  "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
  "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
  "urn:schemas-upnp-org:service:WANIPConnection:1",
  "urn:schemas-upnp-org:service:WANIPConnection:2",
  "urn:schemas-upnp-org:service:WANPPPConnection:1",
] as const;

/** One useful answer to an M-SEARCH. */
export interface SsdpAnswer {
  location: string;
  st: string;
  usn: string;
}

/** An M-SEARCH request for search target `st` with maximum answer delay `mx` seconds. */
export function msearchRequest(st: string, mx = 1): string {
  return "M-SEARCH * HTTP/1.1\r\n" +
    `HOST: ${SSDP_GROUP.host}:${SSDP_GROUP.port}\r\n` +
    `ST: ${st}\r\n` +
    'MAN: "ssdp:discover"\r\n' +
    `MX: ${mx}\r\n\r\n`;
}

/**
 * Parses an M-SEARCH answer (`HTTP/1.1 200 OK` + headers). Throws a clear error when it is
 * not one, or when its `LOCATION` is not an http URL.
 */
export function parseSsdpAnswer(text: string): SsdpAnswer {
  const lines = text.split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200\b/.test(lines[0] ?? "")) {
    throw new Error(`not an SSDP answer: ${JSON.stringify((lines[0] ?? "").slice(0, 60))}`);
  }
  const h: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) h[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const location = h["location"];
  if (!location) throw new Error("SSDP answer without LOCATION");
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new Error(`SSDP answer with malformed LOCATION ${JSON.stringify(location.slice(0, 80))}`);
  }
  if (url.protocol !== "http:") throw new Error(`SSDP LOCATION is not http: ${url.protocol}`);
  return { location: url.href, st: h["st"] ?? "", usn: h["usn"] ?? "" };
}

/** Options of `discoverIgds`. */
export interface DiscoverOptions {
  /** give up after this many ms without any answer (default 2000) */
  timeoutMs?: number;
  /** once a first answer came, wait this much longer for others (default 200) */
  settleMs?: number;
  /** where to send the M-SEARCH (default the SSDP group; tests aim at a local responder) */
  target?: { host: string; port: number };
  /** search targets (default `IGD_SEARCH_TARGETS`) */
  searchTargets?: readonly string[];
}

/**
 * Multicasts M-SEARCHes and collects the answers: distinct LOCATIONs in arrival order.
 * Resolves with an empty list when nobody answered in time; never throws for bad answers.
 */
export async function discoverIgds(opts: DiscoverOptions = {}): Promise<SsdpAnswer[]> {
  const target = opts.target ?? SSDP_GROUP;
  const timeoutMs = opts.timeoutMs ?? 2000, settleMs = opts.settleMs ?? 200;
  const sock = dgram.createSocket({ type: "udp4" });
  const found: SsdpAnswer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(0, () => {
        sock.off("error", reject);
        resolve();
      });
    });
    sock.setMulticastTTL(2);
    let finish = () => {};
    const done = new Promise<void>((resolve) => finish = resolve);
    let timer = setTimeout(finish, timeoutMs);
    sock.on("error", (e) => {
      log.warn(`SSDP socket error: ${e.message}`);
      finish();
    });
    sock.on("message", (msg, rinfo) => {
      let answer: SsdpAnswer;
      try {
        answer = parseSsdpAnswer(new TextDecoder().decode(msg));
      } catch (e) {
        log.info(
          `dropped SSDP datagram from ${rinfo.address}:${rinfo.port}: ${(e as Error).message}`,
        );
        return;
      }
      if (found.some((a) => a.location === answer.location)) return;
      log.debug(`SSDP: ${answer.st} at ${answer.location}`);
      found.push(answer);
      if (found.length === 1) {
        clearTimeout(timer);
        timer = setTimeout(finish, settleMs);
      }
    });
    for (const st of opts.searchTargets ?? IGD_SEARCH_TARGETS) {
      const sent = await new Promise<Error | null>((resolve) =>
        sock.send(msearchRequest(st), target.port, target.host, (e) => resolve(e ?? null))
      );
      if (sent) {
        log.info(`SSDP M-SEARCH not sent: ${sent.message}`);
        clearTimeout(timer);
        return found;
      }
    }
    await done;
    clearTimeout(timer);
    return found;
  } finally {
    sock.close();
  }
}
