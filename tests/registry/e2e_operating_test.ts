/**
 * End-to-end over real HTTP against the real `re6st registry` process: `/metrics` (checked by
 * the Prometheus client library's own parser), the `/admin` page (origins, CSRF, actions,
 * revocation landing in the CRL, topology picture from a UDP stand-in for the co-located node)
 * and the installer files (`/install.sh`, service files, `--artifacts` binaries).
 */
import { parseMetrics } from "../status/prometheus.ts";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readEmbeddedText } from "../../lib/embedded.ts";
import { fingerprint } from "../../lib/pki/fingerprint.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import {
  FakeLocalNode,
  freePort,
  get,
  localDatagram,
  makeCa,
  makeNode,
  query,
  RegistryProcess,
} from "./e2e_helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const MONITOR = "198.18.0.9";
const STRANGER = "198.18.0.66";

/** The CSRF token of an admin page. */
function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, "the page carries a CSRF token");
  return m[1];
}

/** POSTs a form to /admin. */
async function post(
  url: string,
  fields: [string, string][],
  headers: Record<string, string> = {},
): Promise<{ status: number; html: string }> {
  const r = await fetch(`${url}/admin`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: query(fields),
    redirect: "manual",
  });
  return { status: r.status, html: await r.text() };
}

/** Sends raw bytes over TCP and returns the status line's code. */
async function rawStatus(port: number, request: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text(buf.subarray(0, n ?? 0)))?.[1]);
  } finally {
    conn.close();
  }
}

Deno.test("registry operating pages: /metrics, /admin, installer files", async (t) => {
  const ca = await makeCa();
  const node = new FakeLocalNode();
  await node.start();
  const artifacts = `${ca.dir}/artifacts`;
  await Deno.mkdir(artifacts);
  const binary = crypto.randomBytes(100_000);
  await Deno.writeFile(`${artifacts}/re6st-x86_64`, binary);
  const reg = new RegistryProcess(ca, freePort(), [
    "--anonymous-prefix-length",
    "16",
    "--metrics-origin",
    MONITOR,
    "--artifacts",
    artifacts,
  ], { RE6ST_REGISTRY_NODE_PORT: String(node.port) });
  await reg.start();
  try {
    // Two anonymous nodes: 0/16 (the registry node) and 1/16.
    const certs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const a = await get(
        reg.url,
        `/requestCertificate?${query([["token", ""], ["req", makeNode().csr]])}`,
      );
      assert.equal(a.status, 200);
      certs.push(text(a.body));
    }
    const serialOf = (pem: string) => BigInt(`0x${new crypto.X509Certificate(pem).serialNumber}`);
    // The co-located node answers the topology crawl: 0/16 is a client of 1/16.
    node.answer = (target, code) =>
      code === 5 ? localDatagram(target, 5, target === "0".repeat(16) ? "1 1/16" : "0 0/16") : null;

    await t.step("/metrics: Prometheus text with requests, certificates, prefixes", async () => {
      await get(reg.url, "/getCa");
      await get(reg.url, "/noSuchMethod");
      const r = await fetch(`${reg.url}/metrics`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const m = await parseMetrics(await r.text());
      assert.equal(m.get("re6st_registry_requests_total{method=requestCertificate,status=200}"), 2);
      assert.equal(m.get("re6st_registry_requests_total{method=unknown,status=400}"), 1);
      assert.ok(m.get("re6st_registry_requests_total{method=getCa,status=200}")! >= 1);
      assert.equal(
        m.get("re6st_registry_request_duration_seconds_count{method=requestCertificate}"),
        2,
      );
      assert.equal(
        m.get("re6st_registry_request_duration_seconds_bucket{le=+Inf,method=requestCertificate}"),
        2,
      );
      assert.equal(m.get("re6st_registry_certificates_total{action=issued}"), 2);
      assert.equal(m.get("re6st_registry_certificates_total{action=revoked}"), 0);
      assert.equal(m.get("re6st_registry_prefixes{state=allocated}"), 2);
      assert.ok(m.get("re6st_registry_prefixes{state=free}")! >= 1);
      assert.equal(m.get("re6st_registry_network_version"), 2, "first cert sets registry_prefix");
      assert.equal(m.get("re6st_registry_sessions"), 0);
      assert.equal(m.get("re6st_registry_tokens"), 0);
    });

    await t.step(
      "/metrics follows the origins: --metrics-origin may scrape, others 403",
      async () => {
        assert.equal((await get(reg.url, "/metrics", { "x-forwarded-for": MONITOR })).status, 200);
        assert.equal((await get(reg.url, "/metrics", { "x-forwarded-for": STRANGER })).status, 403);
        assert.equal((await get(reg.url, "/metrics?x=1")).status, 200, "query ignored");
        assert.equal((await fetch(`${reg.url}/metrics`, { method: "POST" })).status, 405);
      },
    );

    let html = "";
    await t.step("/admin: nodes, topology picture; other origins 403", async () => {
      const r = await fetch(`${reg.url}/admin`);
      html = await r.text();
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type")!, /^text\/html/);
      assert.match(r.headers.get("content-security-policy")!, /default-src 'none'/);
      assert.match(html, /<tr data-cn="0\/16">.*\(registry\)/);
      assert.match(html, new RegExp(`<tr data-cn="1/16">.*<td class="num">${serialOf(certs[1])}<`));
      assert.match(html, /<section id="topology".*<svg[^>]*>.*0\/16.*1\/16.*<\/svg>/s);
      assert.doesNotMatch(html, /<\?xml/);
      for (const who of [MONITOR, STRANGER]) {
        assert.equal((await get(reg.url, "/admin", { "x-forwarded-for": who })).status, 403);
      }
      assert.equal((await get(reg.url, "/admin?bogus=1")).status, 400);
      assert.equal((await get(reg.url, "/admin?revoke=%zz")).status, 400);
      assert.equal((await fetch(`${reg.url}/admin`, { method: "PUT" })).status, 405);
    });

    await t.step("/admin POST: CSRF token and same origin required", async () => {
      const add: [string, string][] = [["action", "add-token"], ["email", "x@example.com"]];
      assert.equal((await post(reg.url, add)).status, 403, "no token");
      assert.equal((await post(reg.url, [...add, ["csrf", "1.abc"]])).status, 403, "forged");
      const stale = csrfOf(html).replace(/^\d+/, "1000");
      assert.equal((await post(reg.url, [...add, ["csrf", stale]])).status, 403, "re-dated");
      const csrf = csrfOf(html);
      const foreign = await post(reg.url, [...add, ["csrf", csrf]], {
        origin: "http://evil.example",
      });
      assert.equal(foreign.status, 403, "cross-origin");
      const r = await fetch(`${reg.url}/admin`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "action=add-token",
      });
      assert.equal(r.status, 400);
      await r.body?.cancel();
      assert.equal(
        (await post(reg.url, [...add, ["csrf", csrf]], { "x-forwarded-for": STRANGER })).status,
        403,
      );
      assert.equal((await post(reg.url, [["action", "x"], ["csrf", csrf]])).status, 400);
      for (const body of ["a=" + "x".repeat(20_000), new Uint8Array([0x61, 0x3d, 0xff])]) {
        const big = await fetch(`${reg.url}/admin`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body,
        });
        assert.equal(big.status, 400, "oversized or non-UTF-8 form");
        await big.body?.cancel();
      }
      assert.equal((await get(reg.url, "/admin?revoke=1&revoke=2")).status, 400);
      assert.equal((await post(reg.url, [...add, ["csrf", csrf], ["more", "1"]])).status, 400);
      assert.equal((await get(reg.url, "/isToken?token=x")).status, 204, "nothing created");
    });

    await t.step(
      "/admin tokens: create (given, generated), refuse bad e-mail, delete",
      async () => {
        const csrf = csrfOf(html);
        let r = await post(reg.url, [
          ["csrf", csrf],
          ["action", "add-token"],
          ["email", "ann@example.com"],
          ["token", "ann-token"],
        ]);
        assert.equal(r.status, 200);
        assert.match(r.html, /Token ann-token created for ann@example\.com/);
        assert.match(r.html, /<tr data-token="ann-token">/);
        assert.equal(text((await get(reg.url, "/isToken?token=ann-token")).body), "1");
        r = await post(reg.url, [["csrf", csrf], ["action", "add-token"], ["email", "bob@x.org"]]);
        const generated = /Token ([a-z]+) created for bob@x\.org/.exec(r.html)?.[1];
        assert.ok(generated, r.html);
        r = await post(reg.url, [
          ["csrf", csrf],
          ["action", "add-token"],
          ["email", "<script>alert(1)</script>"],
        ]);
        assert.equal(r.status, 400);
        assert.match(
          r.html,
          /not an e-mail address: &quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;/,
        );
        assert.doesNotMatch(r.html, /<script>alert/);
        r = await post(reg.url, [["csrf", csrf], ["action", "delete-token"], ["token", generated]]);
        assert.match(r.html, new RegExp(`Token ${generated} deleted`));
        assert.equal((await get(reg.url, `/isToken?token=${generated}`)).status, 204);
      },
    );

    await t.step("/admin revoke: confirmation page, then POST; serial in the CRL", async () => {
      const confirm = await fetch(`${reg.url}/admin?revoke=1%2F16`);
      const page = await confirm.text();
      assert.equal(confirm.status, 200);
      assert.match(page, /<section class="confirm" id="confirm-revoke"><h2>Revoke 1\/16\?/);
      assert.equal(
        (await get(reg.url, "/isToken?token=ann-token")).status,
        200,
        "GET changed nothing",
      );
      const missing = await fetch(`${reg.url}/admin?revoke=7%2F16`);
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      const own = await post(reg.url, [["csrf", csrfOf(page)], ["action", "revoke"], [
        "cn",
        "0/16",
      ]]);
      assert.equal(own.status, 403, "the registry's own node stays");
      const r = await post(reg.url, [["csrf", csrfOf(page)], ["action", "revoke"], ["cn", "1/16"]]);
      assert.equal(r.status, 200);
      assert.match(
        r.html,
        new RegExp(`Node 1/16 revoked \\(X\\.509 serial ${serialOf(certs[1])}\\)`),
      );
      assert.doesNotMatch(r.html, /data-cn="1\/16"/);
      const db = reg.openDb();
      try {
        const rows = db.prepare("SELECT serial FROM crl").all().map((x) => x.serial);
        assert.deepEqual(rows, [String(serialOf(certs[1]))]);
      } finally {
        db.close();
      }
      const m = await parseMetrics(await (await fetch(`${reg.url}/metrics`)).text());
      assert.equal(m.get("re6st_registry_certificates_total{action=revoked}"), 1);
      assert.equal(m.get("re6st_registry_tokens_created_total"), 2);
      assert.equal(m.get("re6st_registry_tokens"), 1);
      assert.equal(m.get("re6st_registry_prefixes{state=allocated}"), 1);
      assert.equal(m.get("re6st_registry_network_version"), 3, "CRL change bumps the version");
      assert.equal(m.get("re6st_registry_requests_total{method=admin,status=403}"), 8);
      assert.equal(cnToBits("1/16"), "0".repeat(15) + "1");
    });

    await t.step("installer: install.sh with URL and CA fingerprint, files, binaries", async () => {
      const script = text((await get(reg.url, "/install.sh")).body);
      assert.match(
        script,
        new RegExp(`^REGISTRY=\\$\\{RE6ST_REGISTRY:-'http://127\\.0\\.0\\.1:${reg.port}'\\}$`, "m"),
      );
      const fp = fingerprint(new Uint8Array(new crypto.X509Certificate(ca.caPem).raw));
      assert.match(script, new RegExp(`^FINGERPRINT=\\$\\{RE6ST_FINGERPRINT-'${fp}'\\}$`, "m"));
      const unit = await get(reg.url, "/re6st-node.service");
      assert.equal(text(unit.body), await readEmbeddedText("systemd/re6st-node.service"));
      const bin = await get(reg.url, "/re6st-x86_64");
      assert.equal(bin.status, 200);
      assert.equal(bin.headers.get("content-type"), "application/octet-stream");
      assert.deepEqual(bin.body, new Uint8Array(binary));
      assert.equal((await get(reg.url, "/re6st-aarch64")).status, 404, "absent artifact");
      assert.equal(
        (await get(reg.url, "/install.sh", { "x-forwarded-for": STRANGER })).status,
        200,
      );
      const badHost = "GET /install.sh HTTP/1.1\r\nHost: a'b\r\nConnection: close\r\n\r\n";
      assert.equal(await rawStatus(reg.port, badHost), 400);
      assert.equal((await get(reg.url, "/re6st.init")).status, 200);
      assert.equal((await get(reg.url, "/re6st-riscv64")).status, 400, "not served at all");
    });
  } finally {
    await reg.kill("SIGTERM");
    node.close();
    await Deno.remove(ca.dir, { recursive: true });
  }
});

Deno.test("registry --public-url goes into install.sh; no --artifacts: binaries 404", async () => {
  const ca = await makeCa();
  const reg = new RegistryProcess(ca, freePort(), [
    "--public-url",
    "https://registry.example.org/re6st/",
  ]);
  await reg.start();
  try {
    const script = text((await get(reg.url, "/install.sh")).body);
    assert.match(
      script,
      /^REGISTRY=\$\{RE6ST_REGISTRY:-'https:\/\/registry\.example\.org\/re6st'\}$/m,
    );
    assert.equal((await get(reg.url, "/re6st-x86_64")).status, 404);
    const page = await (await fetch(`${reg.url}/admin`)).text();
    assert.match(page, /No node is registered/);
    assert.match(page, /No topology: the registry's own node did not answer/);
  } finally {
    await reg.kill("SIGTERM");
    await Deno.remove(ca.dir, { recursive: true });
  }
});
