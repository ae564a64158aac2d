/**
 * SOAP 1.1 as UPnP control uses it: build an action envelope, read an action response or a
 * UPnP fault (`<errorCode>`, `<errorDescription>`). Pure.
 */
import { elements, escapeXml, firstText } from "./xml.ts";

/** UPnP error codes the port mapper reacts to. */
export const UPNP_ERRORS = {
  invalidArgs: 402,
  actionFailed: 501,
  noSuchEntryInArray: 714,
  conflictInMappingEntry: 718,
  onlyPermanentLeasesSupported: 725,
} as const;

/** A failed SOAP action: a UPnP fault (`code` set) or an unusable answer (`code` undefined). */
export class SoapError extends Error {
  override name = "SoapError";
  constructor(readonly action: string, message: string, readonly code?: number) {
    super(`${action}: ${message}`);
  }
}

/** The body of a POST that invokes `action` of `serviceType` with `args` (in order). */
export function soapEnvelope(
  serviceType: string,
  action: string,
  args: readonly [string, string | number][],
): string {
  const inner = args.map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join("");
  return '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${escapeXml(serviceType)}">${inner}</u:${action}>` +
    "</s:Body></s:Envelope>\r\n";
}

/** The `SOAPAction` header value for `action` of `serviceType`. */
export function soapActionHeader(serviceType: string, action: string): string {
  return `"${serviceType}#${action}"`;
}

/** Output arguments of a successful action, looked up by local name. */
export interface SoapResult {
  /** the argument's text, or undefined when the answer lacks it */
  get(name: string): string | undefined;
}

/**
 * Reads the answer to `action`: its output arguments on success; throws `SoapError` carrying
 * the UPnP error code on a fault, or without code when the answer is not a SOAP response at all.
 */
export function parseSoapResponse(action: string, status: number, body: string): SoapResult {
  const [fault] = elements(body, "Fault");
  if (fault) {
    const codeText = firstText(fault.inner, "errorCode");
    const desc = firstText(fault.inner, "errorDescription") ??
      firstText(fault.inner, "faultstring");
    const code = codeText !== undefined && /^\d{1,4}$/.test(codeText)
      ? Number(codeText)
      : undefined;
    throw new SoapError(action, `UPnP error ${codeText ?? "?"} ${desc ?? ""}`.trim(), code);
  }
  if (status !== 200) throw new SoapError(action, `HTTP status ${status}`);
  const [resp] = elements(body, `${action}Response`);
  if (!resp) throw new SoapError(action, "answer lacks the action response element");
  return { get: (name) => firstText(resp.inner, name) };
}
