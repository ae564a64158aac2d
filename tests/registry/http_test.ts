/** The HTTP front in-process: strict parsing, origin checks, `ip` auto-fill, listeners. */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { createCsr } from "../../lib/pki/csr.ts";
import { createTestCa } from "../../lib/pki/testing.ts";
import { parseCommunities } from "../../lib/registry/communities.ts";
import {
  bindArguments,
  createApp,
  isAuthorised,
  METHODS,
  parseQuery,
  serve,
} from "../../lib/registry/http.ts";
import { setVerbosity } from "../../lib/log.ts";
import type { Registry } from "../../lib/registry/service.ts";
import { SessionTable } from "../../lib/registry/sessions.ts";
import { RpcError } from "../../lib/registry/rpc_error.ts";
import { startTestRegistry } from "./service_fixture.ts";

setVerbosity(0);

Deno.test("strict query parsing: name=value pairs, valid escapes, no repeats", () => {
  assert.deepEqual([...parseQuery("a=1&b=&c=x+y%2Bz")], [["a", "1"], ["b", ""], ["c", "x y+z"]]);
  assert.deepEqual([...parseQuery("")], []);
  for (const bad of ["a", "=1", "a=1&", "&a=1", "a=1&&b=2", "a=%zz", "a=%ff", "a=1&a=2"]) {
    assert.throws(() => parseQuery(bad), RpcError, bad);
  }
  const m = METHODS.requestCertificate;
  assert.deepEqual(bindArguments(m, parseQuery("token=&req=x")), {
    token: "",
    req: "x",
    location: "",
    ip: "",
  });
  assert.throws(() => bindArguments(m, parseQuery("token=")), /missing parameter req/);
  assert.throws(() => bindArguments(m, parseQuery("token=&req=x&cn=1")), /unexpected parameter/);
});

Deno.test("statement 13: private methods need the peer and the whole X-Forwarded-For authorised", () => {
  const origins = ["127.0.0.1", "::1", "198.18.0.1"];
  assert.ok(isAuthorised(origins, "127.0.0.1", null));
  assert.ok(isAuthorised(origins, "::ffff:127.0.0.1", null));
  assert.ok(isAuthorised(origins, "::1", "198.18.0.1"));
  assert.equal(isAuthorised(origins, "198.18.0.2", null), false);
  assert.equal(isAuthorised(origins, "127.0.0.1", "198.18.0.2"), false);
  assert.equal(isAuthorised(origins, "127.0.0.1", "198.18.0.1, 127.0.0.1"), false);
});

Deno.test("IPv4 and IPv6 listeners; ip auto-filled from X-Forwarded-For for community choice", async () => {
  const ca = await createTestCa();
  const { registry, node, db, sessions } = await startTestRegistry(ca, {
    anonymousPrefixLength: 13,
    communities: parseCommunities("000 *\n001 @AS AU\n010 FR DE IT\n"),
    geolocator: {
      locate: (ip) => ({ "198.18.0.5": { country: "FR" }, "198.18.0.6": { country: "AU" } })[ip],
    },
  });
  const server = serve(createApp(registry, sessions, ["127.0.0.1", "::1"]), 0, "127.0.0.1", "::1");
  try {
    assert.equal(server.addresses.length, 2);
    const [v6, v4] = server.addresses;
    assert.equal(v4.port, v6.port);
    for (const host of ["127.0.0.1", "[::1]"]) {
      const r = await fetch(`http://${host}:${v4.port}/getCa`);
      assert.equal(await r.text(), ca.certPem);
    }
    const key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const req = encodeURIComponent(createCsr(key, [["O", "x"]]));
    const cn = async (headers: Record<string, string>) => {
      const r = await fetch(`http://127.0.0.1:${v4.port}/requestCertificate?token=&req=${req}`, {
        headers,
      });
      const pem = await r.text();
      return /CN=(\d+)\/16/.exec(new crypto.X509Certificate(pem).subject)![1];
    };
    const bits = (n: string) => Number(n).toString(2).padStart(16, "0");
    assert.ok(bits(await cn({ "X-Forwarded-For": "198.18.0.5, 198.18.0.9" })).startsWith("010"));
    assert.ok(bits(await cn({ "X-Forwarded-For": "198.18.0.6" })).startsWith("001"));
    assert.ok(
      bits(await cn({})).startsWith("000"),
      "no X-Forwarded-For: the peer 127.0.0.1, unknown",
    );
  } finally {
    await server.shutdown();
    registry.close();
    node.close();
    db.close();
  }
});

Deno.test("a dual-stack [::] listener also serves IPv4 when 0.0.0.0 cannot be bound beside it", async () => {
  const app = createApp({} as Registry, new SessionTable(), []);
  const server = serve(app, 0, "0.0.0.0", "::");
  try {
    const port = server.addresses[0].port;
    const r = await fetch(`http://127.0.0.1:${port}/nope`);
    await r.body?.cancel();
    assert.equal(r.status, 400);
  } finally {
    await server.shutdown();
  }
  assert.throws(() => serve(app, 0, "", ""), /no listener/);
});
