/**
 * UPnP device description (the XML at an SSDP `LOCATION`): lists the services of the device
 * tree and picks the WAN connection service that can map ports (spec §13.1). Pure.
 */
import { elements, firstText } from "./xml.ts";

/** One `<service>` of the description, its control URL made absolute. */
export interface ServiceEntry {
  serviceType: string;
  controlUrl: string;
}

/** Service types able to map ports, most preferred first. */
export const WAN_SERVICE_TYPES = [
  "urn:schemas-upnp-org:service:WANIPConnection:2",
  "urn:schemas-upnp-org:service:WANIPConnection:1",
  "urn:schemas-upnp-org:service:WANPPPConnection:1",
] as const;

/**
 * Services of a device description. Relative control URLs are resolved against `URLBase`
 * when present, else against the description's own URL. Services lacking a type or control
 * URL, or whose URL is not plain http, are skipped.
 */
export function parseDescription(xml: string, location: string): ServiceEntry[] {
  const base = firstText(xml, "URLBase") || location;
  const out: ServiceEntry[] = [];
  for (const s of elements(xml, "service")) {
    const serviceType = firstText(s.inner, "serviceType");
    const control = firstText(s.inner, "controlURL");
    if (!serviceType || !control) continue;
    const controlUrl = resolveUrl(control, base) ?? resolveUrl(control, location);
    if (controlUrl) out.push({ serviceType, controlUrl });
  }
  return out;
}

/** The most preferred WAN connection service among `services`, if any. */
export function pickWanService(services: readonly ServiceEntry[]): ServiceEntry | undefined {
  for (const type of WAN_SERVICE_TYPES) {
    const s = services.find((x) => x.serviceType === type);
    if (s) return s;
  }
  return undefined;
}

function resolveUrl(ref: string, base: string): string | undefined {
  try {
    const u = new URL(ref, base);
    return u.protocol === "http:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}
