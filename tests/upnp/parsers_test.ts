/** Pure parsers of the UPnP client: XML helpers, device description, SOAP, SSDP, HTTP. */
import assert from "node:assert/strict";
import { parseDescription, pickWanService } from "../../lib/node/upnp/description.ts";
import { HttpError, parseHttpResponse } from "../../lib/node/upnp/http.ts";
import {
  parseSoapResponse,
  soapEnvelope,
  SoapError,
  UPNP_ERRORS,
} from "../../lib/node/upnp/soap.ts";
import { msearchRequest, parseSsdpAnswer } from "../../lib/node/upnp/ssdp.ts";
import { decodeEntities, elements, firstText, textOf } from "../../lib/node/upnp/xml.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("xml: elements by local name, nesting, self-closing, comments, CDATA, entities", () => {
  const xml = `<a:root xmlns:a="x"><!-- <b>hidden</b> --><b>one</b><bb>not b</bb>
    <b attr="1"><b>inner</b> tail</b><b/><x:b>&lt;four&gt; &amp; &#65;&#x42;</x:b>
    <c><![CDATA[<raw> & stuff]]></c><d>unclosed`;
  const bs = elements(xml, "b");
  assert.deepEqual(bs.map((e) => textOf(e.inner)), ["one", "inner tail", "", "<four> & AB"]);
  assert.equal(firstText(xml, "c"), "<raw> & stuff");
  assert.equal(firstText(xml, "d"), undefined);
  assert.equal(firstText(xml, "missing"), undefined);
  assert.equal(decodeEntities("&#0;&#x110000;&bogus;"), "&#0;&#x110000;&bogus;");
});

const DESCRIPTION = `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><device><serviceList>
<service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType>
<controlURL>/ctl/L3F</controlURL></service></serviceList><deviceList><device><serviceList>
<service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType>
<controlURL>/ctl/PPP</controlURL></service>
<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<controlURL> ctl/IPConn </controlURL></service>
<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType></service>
<service><controlURL>/no-type</controlURL></service>
</serviceList></device></deviceList></device></root>`;

Deno.test("description: services with absolute control URLs; WANIPConnection preferred", () => {
  const services = parseDescription(DESCRIPTION, "http://198.18.1.1:5000/rootDesc.xml");
  assert.deepEqual(services.map((s) => s.controlUrl), [
    "http://198.18.1.1:5000/ctl/L3F",
    "http://198.18.1.1:5000/ctl/PPP",
    "http://198.18.1.1:5000/ctl/IPConn",
  ]);
  assert.equal(pickWanService(services)?.controlUrl, "http://198.18.1.1:5000/ctl/IPConn");
  assert.equal(pickWanService(services.slice(0, 2))?.controlUrl, "http://198.18.1.1:5000/ctl/PPP");
  assert.equal(pickWanService(services.slice(0, 1)), undefined);
});

Deno.test("description: URLBase is honoured; non-http and garbage are skipped, never thrown", () => {
  const withBase = `<root><URLBase>http://198.18.1.9:80/base/</URLBase>${
    DESCRIPTION.replace(/^<\?xml[^>]*>/, "")
  }</root>`;
  const s = parseDescription(withBase, "http://198.18.1.1:5000/rootDesc.xml");
  assert.equal(pickWanService(s)?.controlUrl, "http://198.18.1.9/base/ctl/IPConn");
  const ftp = `<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
    <controlURL>ftp://198.18.1.1/x</controlURL></service>`;
  assert.deepEqual(parseDescription(ftp, "http://198.18.1.1/"), []);
  for (const garbage of ["", "\x00\xff<<<>>>", "<service><service>", "not xml at all"]) {
    assert.deepEqual(parseDescription(garbage, "http://198.18.1.1/"), []);
  }
});

Deno.test("soap: envelope escapes arguments; response arguments by name", () => {
  const env = soapEnvelope("urn:schemas-upnp-org:service:WANIPConnection:1", "AddPortMapping", [
    ["NewRemoteHost", ""],
    ["NewPortMappingDescription", "a<b & c"],
  ]);
  assert.match(env, /<u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">/);
  assert.match(env, /<NewRemoteHost><\/NewRemoteHost>/);
  assert.match(env, /<NewPortMappingDescription>a&lt;b &amp; c<\/NewPortMappingDescription>/);
  const ok = `<s:Envelope><s:Body><u:GetExternalIPAddressResponse xmlns:u="x">
    <NewExternalIPAddress>198.18.2.1</NewExternalIPAddress>
    </u:GetExternalIPAddressResponse></s:Body></s:Envelope>`;
  const r = parseSoapResponse("GetExternalIPAddress", 200, ok);
  assert.equal(r.get("NewExternalIPAddress"), "198.18.2.1");
  assert.equal(r.get("Other"), undefined);
});

Deno.test("soap: UPnP faults carry their error code; garbage gives a clear error", () => {
  const fault = `<s:Envelope><s:Body><s:Fault><faultcode>s:Client</faultcode>
    <faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0">
    <errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription>
    </UPnPError></detail></s:Fault></s:Body></s:Envelope>`;
  assert.throws(
    () => parseSoapResponse("AddPortMapping", 500, fault),
    (e) =>
      e instanceof SoapError && e.code === UPNP_ERRORS.conflictInMappingEntry &&
      /UPnP error 718 ConflictInMappingEntry/.test(e.message),
  );
  const badCode = fault.replace("718", "7x8");
  assert.throws(
    () => parseSoapResponse("AddPortMapping", 500, badCode),
    (e) => e instanceof SoapError && e.code === undefined,
  );
  assert.throws(() => parseSoapResponse("X", 500, "<html>oops</html>"), /X: HTTP status 500/);
  assert.throws(() => parseSoapResponse("X", 200, "\x00garbage"), /lacks the action response/);
  assert.throws(() => parseSoapResponse("X", 200, "<YResponse/>"), /lacks the action response/);
});

Deno.test("ssdp: M-SEARCH layout; answers parsed, garbage refused with a reason", () => {
  assert.equal(
    msearchRequest("urn:schemas-upnp-org:device:InternetGatewayDevice:1"),
    "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n" +
      "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
      'MAN: "ssdp:discover"\r\nMX: 1\r\n\r\n',
  );
  const a = parseSsdpAnswer(
    "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nst: urn:x\r\nUSN: uuid:1::urn:x\r\n" +
      "Location:  http://198.18.1.1:5000/rootDesc.xml \r\n\r\n",
  );
  assert.deepEqual(a, {
    location: "http://198.18.1.1:5000/rootDesc.xml",
    st: "urn:x",
    usn: "uuid:1::urn:x",
  });
  assert.throws(() => parseSsdpAnswer("NOTIFY * HTTP/1.1\r\n\r\n"), /not an SSDP answer/);
  assert.throws(() => parseSsdpAnswer("\x00\x01\x02"), /not an SSDP answer/);
  assert.throws(() => parseSsdpAnswer("HTTP/1.1 200 OK\r\nST: x\r\n\r\n"), /without LOCATION/);
  assert.throws(() => parseSsdpAnswer("HTTP/1.1 200 OK\r\nLOCATION: ::\r\n\r\n"), /malformed/);
  assert.throws(
    () => parseSsdpAnswer("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n"),
    /not http/,
  );
});

Deno.test("http: Content-Length, chunked and EOF framing; malformed answers refused", () => {
  const r = parseHttpResponse(
    enc("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: a\r\nx: b\r\n\r\nhelloEXTRA"),
  );
  assert.deepEqual(r, {
    status: 200,
    headers: { "content-length": "5", x: "a, b" },
    body: "hello",
  });
  const chunked = parseHttpResponse(
    enc(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    ),
  );
  assert.equal(chunked.body, "abcde");
  assert.equal(parseHttpResponse(enc("HTTP/1.0 500 Oops\r\n\r\nrest")).body, "rest");
  const bad: [string, RegExp][] = [
    ["garbage without end", /no end of headers/],
    ["SSH-2.0-x\r\n\r\n", /malformed HTTP status line/],
    ["HTTP/1.1 200 OK\r\nno colon\r\n\r\n", /malformed HTTP header/],
    ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", /malformed Content-Length/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", /truncated HTTP body/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /malformed chunk size/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", /truncated chunked/],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", /no chunk size line/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => parseHttpResponse(enc(text)),
      (e) => e instanceof HttpError && re.test(e.message),
    );
  }
});
