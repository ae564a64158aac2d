/**
 * The registry with a GeoIP database (a fixture MaxMind DB written by the test writer), end to
 * end through the real `re6st registry` process: `getCountry` answers 200/204/400 (spec §3.3),
 * new certificates are placed in communities by the `ip` parameter, X-Forwarded-For or the peer
 * address when no `--location` is sent (spec §5.3; `--location` wins), `same_country` is
 * distributed, and a missing or corrupt database is fatal with a clear message (spec §2.2).
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { inflateSync } from "node:zlib";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { countryRecord, writeMmdb } from "../geoip/mmdb_writer.ts";
import {
  freePort,
  get,
  makeCa,
  makeNode,
  NodeSession,
  query,
  RegistryProcess,
  type TestCa,
  type TestNode,
} from "./e2e_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const text = (b: Uint8Array) => new TextDecoder().decode(b);

const FIXTURE = writeMmdb([
  { cidr: "198.18.1.0/24", value: countryRecord("FR", "EU") },
  { cidr: "198.18.2.0/24", value: countryRecord("JP", "AS") },
  { cidr: "198.18.3.0/24", value: countryRecord("US", "NA") },
  { cidr: "198.18.4.0/24", value: { continent: { code: "AS" } } },
  { cidr: "2001:db8:1::/48", value: countryRecord("FR", "EU") },
], { recordSize: 24, ipv4Aliases: ["::ffff:0:0/96"] });

async function register(
  url: string,
  n: TestNode,
  params: [string, string][] = [],
  headers: Record<string, string> = {},
): Promise<string> {
  const a = await get(
    url,
    `/requestCertificate?${query([["token", ""], ["req", n.csr], ...params])}`,
    headers,
  );
  assert.equal(a.status, 200, text(a.body));
  return cnToBits(/CN=(\S+)/.exec(new crypto.X509Certificate(text(a.body)).subject)![1]);
}

/** Runs the registry with `args`/`env` expecting it to fail at start; returns what it said. */
async function failedStart(ca: TestCa, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "registry",
      "--port",
      String(freePort()),
      "-4",
      "127.0.0.1",
      "-6",
      "",
      "--db",
      `${ca.dir}/failed.db`,
      "--ca",
      ca.caPath,
      "--key",
      ca.keyPath,
      "--dh",
      ca.dhPath,
      "--logfile",
      `${ca.dir}/failed.log`,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, said: text(out.stderr) };
}

Deno.test("registry GeoIP: getCountry, communities by GeoIP of the requester, same_country", async () => {
  const ca = await makeCa();
  const mmdb = `${ca.dir}/GeoLite2-Country.mmdb`;
  await Deno.writeFile(mmdb, FIXTURE);
  const communities = `${ca.dir}/community.conf`;
  await Deno.writeTextFile(communities, "000 *\n001 @AS AU\n010 FR DE IT\n");
  const reg = new RegistryProcess(
    ca,
    freePort(),
    ["--anonymous-prefix-length", "13", "--community", communities, "--same-country", "FR"],
    { GEOIP2_MMDB: mmdb },
  );
  await reg.start();
  try {
    // the first certificate is the registry node's: default community, unknown peer 127.0.0.1
    const first = await register(reg.url, makeNode());
    assert.ok(first.startsWith("000"), first);
    // spec §5.3: GeoIP of the `ip` parameter, then of X-Forwarded-For, then of the peer
    const fr = await register(reg.url, makeNode(), [["ip", "198.18.1.7"]]);
    assert.ok(fr.startsWith("010"), `FR by ip: ${fr}`);
    const jp = await register(reg.url, makeNode(), [], { "X-Forwarded-For": "198.18.2.9" });
    assert.ok(jp.startsWith("001"), `JP (AS) by X-Forwarded-For: ${jp}`);
    const asia = await register(reg.url, makeNode(), [["ip", "198.18.4.1"]]);
    assert.ok(asia.startsWith("001"), `continent only: ${asia}`);
    const us = await register(reg.url, makeNode(), [["ip", "198.18.3.3"]]);
    assert.ok(us.startsWith("000"), `US: default community ${us}`);
    const unknown = await register(reg.url, makeNode(), [["ip", "198.19.0.1"]]);
    assert.ok(unknown.startsWith("000"), `not in the database: ${unknown}`);
    const sent = await register(reg.url, makeNode(), [["location", "FR,EU"], ["ip", "198.18.2.9"]]);
    assert.ok(sent.startsWith("010"), `--location wins over GeoIP: ${sent}`);

    const node = makeNode();
    const prefix = await register(reg.url, node, [["ip", "198.18.1.8"]]);
    const s = new NodeSession(reg.url, ca, node.key, prefix);
    assert.equal((await s.hello()).status, 200);
    const country = async (address: string) => {
      const a = await s.call("getCountry", [["address", address]]);
      if (a.status === 400) await s.hello(); // a refused call ends the chain
      return { status: a.status, body: text(a.body), authentic: a.authentic };
    };
    assert.deepEqual(await country("198.18.1.200"), { status: 200, body: "FR", authentic: true });
    assert.deepEqual(await country("::ffff:198.18.2.1"), {
      status: 200,
      body: "JP",
      authentic: true,
    });
    assert.deepEqual(await country("2001:db8:1::5"), { status: 200, body: "FR", authentic: true });
    assert.deepEqual(await country("198.18.4.4"), { status: 204, body: "", authentic: true });
    assert.deepEqual(await country("198.19.9.9"), { status: 204, body: "", authentic: true });
    assert.equal((await country("not-an-ip")).status, 400);

    const config = await s.call("getNetworkConfig");
    assert.equal(config.status, 200);
    assert.deepEqual(JSON.parse(text(inflateSync(config.body))).same_country, ["FR"]);
    assert.match(await reg.log(), /GeoIP database .*GeoLite2-Country\.mmdb: re6st-Test-Country/);
  } finally {
    await reg.kill("SIGTERM");
    await Deno.remove(ca.dir, { recursive: true });
  }
});

Deno.test("registry GeoIP: --geoip, and a missing or corrupt database is fatal at start", async () => {
  const ca = await makeCa();
  try {
    const noDb = await failedStart(ca, ["--same-country", "FR"]);
    assert.notEqual(noDb.code, 0);
    assert.match(noDb.said, /--same-country needs a GeoIP database: set GEOIP2_MMDB/);

    const corrupt = `${ca.dir}/corrupt.mmdb`;
    await Deno.writeFile(corrupt, FIXTURE.subarray(0, FIXTURE.length - 30));
    const bad = await failedStart(ca, [], { GEOIP2_MMDB: corrupt });
    assert.notEqual(bad.code, 0);
    assert.match(bad.said, /GeoIP database: .*corrupt\.mmdb: /);
    const missing = await failedStart(ca, ["--geoip", `${ca.dir}/absent.mmdb`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.said, /GeoIP database: cannot read .*absent\.mmdb/);

    // --geoip overrides GEOIP2_MMDB
    const good = `${ca.dir}/good.mmdb`;
    await Deno.writeFile(good, FIXTURE);
    const reg = new RegistryProcess(ca, freePort(), [
      "--geoip",
      good,
      "--same-country",
      "FR",
      "--anonymous-prefix-length",
      "16",
    ], {
      GEOIP2_MMDB: corrupt,
    });
    await reg.start();
    try {
      const node = makeNode();
      const prefix = await register(reg.url, node);
      const s = new NodeSession(reg.url, ca, node.key, prefix);
      await s.hello();
      const a = await s.call("getCountry", [["address", "198.18.3.1"]]);
      assert.deepEqual([a.status, text(a.body)], [200, "US"]);
    } finally {
      await reg.kill("SIGTERM");
    }
  } finally {
    await Deno.remove(ca.dir, { recursive: true });
  }
});
