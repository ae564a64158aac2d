import assert from "node:assert/strict";
import { parseArgs } from "../../lib/config/cli.ts";
import { confSchema } from "../../lib/config/conf_options.ts";
import { nodeSchema } from "../../lib/config/node_options.ts";
import { parseMailhost, registrySchema } from "../../lib/config/registry_options.ts";
import type { Schema } from "../../lib/config/schema.ts";
import { inDir, tempFiles } from "./helpers.ts";

const NODE = ["--registry", "http://198.18.0.1/", "--ca", "c", "--cert", "n", "--key", "k"];
const REGISTRY = ["--ca", "ca.crt", "--key", "ca.key", "--dh", "dh.pem"];
const CONF = ["--registry", "http://198.18.0.1/"];

function ok<T>(schema: Schema<T>, args: string[]): T {
  const r = parseArgs(schema, args);
  if (!r.ok) throw new Error(`unexpected failure: ${r.stderr}`);
  return r.options;
}

function fails<T>(schema: Schema<T>, args: string[]): string {
  const r = parseArgs(schema, args);
  if (r.ok) throw new Error("expected an error");
  assert.equal(r.status, 2);
  return r.stderr!;
}

Deno.test("statement 6 (options): default disables udp/udp6 so only a TCP server on 1194; none enables all four", () => {
  const def = ok(nodeSchema, NODE);
  assert.deepEqual(def.disabledProtos, ["udp", "udp6"]);
  assert.deepEqual(def.pp, [{ port: 1194, proto: "tcp" }]);

  const all = ok(nodeSchema, [...NODE, "--disable-proto", "none"]);
  assert.deepEqual(all.disabledProtos, []);
  assert.deepEqual(all.pp, [{ port: 1194, proto: "udp" }, { port: 1194, proto: "tcp" }]);

  const none = ok(nodeSchema, [...NODE, "--disable-proto", "tcp", "--disable-proto", "none"]);
  assert.deepEqual(none.disabledProtos, [], "none takes precedence");

  const tcpOff = ok(nodeSchema, [...NODE, "--disable-proto", "tcp", "--pp", "1195", "udp6"]);
  assert.deepEqual(tcpOff.disabledProtos, ["tcp"]);
  assert.deepEqual(tcpOff.pp, [{ port: 1195, proto: "udp6" }]);
  assert.equal(
    fails(nodeSchema, [...NODE, "--disable-proto", "icmp"]).split(": ")[0],
    "command line",
  );
});

Deno.test("statement 7: --pp 1194 udp with the default disabled protocols is a conflict error", () => {
  assert.equal(
    fails(nodeSchema, [...NODE, "--pp", "1194", "udp"]),
    "command line: --pp 1194 udp conflicts with disabled protocol 'udp' (see --disable-proto)",
  );
  const dir = tempFiles({ "n.conf": "pp 1194 tcp\npp 1194 udp\n" });
  inDir(
    dir,
    () => assert.match(fails(nodeSchema, [...NODE, "@n.conf"]), /^n\.conf:2: --pp 1194 udp/),
  );
  assert.match(fails(nodeSchema, [...NODE, "--pp", "0", "tcp"]), /invalid port '0'/);
  assert.match(fails(nodeSchema, [...NODE, "--pp", "1194", "sctp"]), /invalid protocol 'sctp'/);
});

Deno.test("node --ip: upnp/any exclude other IPv4 addresses; IPv6 may be added", () => {
  assert.deepEqual(ok(nodeSchema, [...NODE, "--ip", "any", "--ip", "2001:db8::1"]).ip, [
    "any",
    "2001:db8::1",
  ]);
  assert.deepEqual(
    ok(nodeSchema, [...NODE, "--ip", "198.18.0.1", "--ip", "198.18.0.2"]).ip.length,
    2,
  );
  assert.match(
    fails(nodeSchema, [...NODE, "--ip", "upnp", "--ip", "198.18.0.2"]),
    /^command line: --ip upnp, 198\.18\.0\.2: 'upnp' and 'any' exclude/,
  );
  assert.match(fails(nodeSchema, [...NODE, "--ip", "example"]), /not an IP address: 'example'/);
});

Deno.test("node: --client remotes, --neighbour CNs, obsolete options accepted", () => {
  const o = ok(nodeSchema, [
    ...NODE,
    "--client",
    "198.18.0.9,1194,tcp;2001:db8::9,1195,tcp6",
    "--neighbour",
    "6/16",
    "-D",
    "--default",
    "--table",
    "0",
  ]);
  assert.deepEqual(o.client, [
    { host: "198.18.0.9", port: 1194, proto: "tcp" },
    { host: "2001:db8::9", port: 1195, proto: "tcp6" },
  ]);
  assert.match(
    fails(nodeSchema, [...NODE, "--client", "198.18.0.9,1194,tcp;198.18.0.9,1194,udp"]),
    /^command line: option '--client': remotes mix MTU classes \(tcp, udp\)/,
  );
  assert.deepEqual(o.neighbours, ["6/16"]);
  assert.match(fails(nodeSchema, [...NODE, "--client", "198.18.0.9,1194"]), /HOST,PORT,PROTO/);
  assert.match(fails(nodeSchema, [...NODE, "--neighbour", "6"]), /not a prefix in CN form/);
});

Deno.test("registry: defaults, derived max-clients, appended origins, min-protocol range", () => {
  const r = ok(registrySchema, REGISTRY);
  assert.equal(r.port, 80);
  assert.equal(r.ipv4Bind, "0.0.0.0");
  assert.equal(r.ipv6Bind, "::");
  assert.equal(r.clientCount, 10);
  assert.equal(r.maxClients, 20);
  assert.equal(r.prefixLength, 16);
  assert.equal(r.anonymousPrefixLength, 0);
  assert.equal(r.gracePeriod, 8640000);
  assert.equal(r.verbose, 1);
  assert.deepEqual(r.authorizedOrigins, ["127.0.0.1", "::1"]);
  assert.equal(r.mailhost, undefined);

  const s = ok(registrySchema, [
    ...REGISTRY,
    "--client-count",
    "3",
    "--authorized-origin",
    "198.18.0.5",
    "-4",
    "",
    "--ipv4",
    "198.18.7.9/16",
    "8",
    "--same-country",
    "fr",
  ]);
  assert.equal(s.maxClients, 6);
  assert.deepEqual(s.authorizedOrigins, ["127.0.0.1", "::1", "198.18.0.5"]);
  assert.equal(s.ipv4Bind, undefined);
  assert.deepEqual(s.ipv4, { network: "198.18.0.0/16", sublen: 8 });
  assert.deepEqual(s.sameCountry, ["FR"]);
  assert.equal(ok(registrySchema, [...REGISTRY, "--max-clients", "0"]).maxClients, 0);

  assert.equal(ok(registrySchema, [...REGISTRY, "--min-protocol", "10"]).minProtocol, 10);
  assert.equal(
    fails(registrySchema, [...REGISTRY, "--min-protocol", "11"]),
    "command line: option '--min-protocol': 11 is above the maximum 10",
  );
  assert.match(fails(registrySchema, [...REGISTRY, "--min-protocol", "0"]), /below the minimum 1/);
  assert.match(fails(registrySchema, [...REGISTRY, "--ipv4", "198.18.0.0/28", "8"]), /no room/);
});

Deno.test("registry --mailhost: host[:port], [v6]:port, absolute or existing path ⇒ mbox", () => {
  const never = () => false;
  assert.deepEqual(parseMailhost("smtp.example.org", never), {
    kind: "smtp",
    host: "smtp.example.org",
    port: 25,
  });
  assert.deepEqual(parseMailhost("127.0.0.1:2525", never), {
    kind: "smtp",
    host: "127.0.0.1",
    port: 2525,
  });
  assert.deepEqual(parseMailhost("[::1]:2525", never), { kind: "smtp", host: "::1", port: 2525 });
  assert.deepEqual(parseMailhost("::1", never), { kind: "smtp", host: "::1", port: 25 });
  assert.deepEqual(parseMailhost("/tmp/mbox", never), { kind: "mbox", path: "/tmp/mbox" });
  assert.deepEqual(parseMailhost("mbox", () => true), { kind: "mbox", path: "mbox" });
  assert.throws(() => parseMailhost("host:99999", never), /invalid mail host/);

  const dir = tempFiles({ "mails": "", "r.conf": "mailhost mails\nmailhost smtp:x\n" });
  inDir(dir, () => {
    assert.deepEqual(ok(registrySchema, [...REGISTRY, "--mailhost", "mails"]).mailhost, {
      kind: "mbox",
      path: "mails",
    });
    assert.equal(
      fails(registrySchema, [...REGISTRY, "@r.conf"]),
      "r.conf:2: option 'mailhost': invalid mail host 'smtp:x' (expected host[:port] or a file path)",
    );
  });
});

Deno.test("conf: --anonymous conflicts with --token/--email; --req CN and serial rejected", () => {
  assert.equal(
    fails(confSchema, [...CONF, "--anonymous", "--token", "abcdefgh"]),
    "command line: --anonymous conflicts with --token",
  );
  assert.equal(
    fails(confSchema, [...CONF, "--email", "a@example.org", "--anonymous"]),
    "command line: --anonymous conflicts with --email",
  );
  assert.equal(
    fails(confSchema, [...CONF, "--req", "CN", "x"]),
    "command line: option '--req': subject field 'CN' is reserved (set by the registry)",
  );
  assert.match(fails(confSchema, [...CONF, "-r", "serial", "3"]), /'serial' is reserved/);
});

Deno.test("conf: fingerprint, location, req pairs and dir parse", () => {
  const o = ok(confSchema, [
    ...CONF,
    "--fingerprint",
    "SHA256:AB:cd",
    "--location",
    "fr,eu",
    "-r",
    "O",
    "Example",
    "-r",
    "C",
    "FR",
    "-d",
    "/tmp/x",
    "--anonymous",
  ]);
  assert.deepEqual(o.fingerprint, { algorithm: "sha256", hex: "abcd" });
  assert.deepEqual(o.location, { country: "FR", continent: "EU" });
  assert.deepEqual(o.req, [["O", "Example"], ["C", "FR"]]);
  assert.equal(o.dir, "/tmp/x");
  assert.equal(o.anonymous, true);
  assert.equal(ok(confSchema, CONF).dir, ".");
  assert.deepEqual(ok(confSchema, [...CONF, "--fingerprint", "sha3_256:0a"]).fingerprint, {
    algorithm: "sha3-256",
    hex: "0a",
  });
  assert.match(fails(confSchema, [...CONF, "--fingerprint", "nohash:ab"]), /known hash algorithm/);
  assert.match(fails(confSchema, [...CONF, "--fingerprint", "sha1:xyz"]), /not hexadecimal/);
  assert.match(fails(confSchema, [...CONF, "--location", "France"]), /COUNTRY,CONTINENT/);
});
