/** Pure parts of the admin page, the installer pages and the registry's operating options. */
import assert from "node:assert/strict";
import { parseArgs } from "../../lib/config/cli.ts";
import { registrySchema } from "../../lib/config/registry_options.ts";
import { sameOrigin } from "../../lib/registry/admin.ts";
import { escapeHtml, formatDate, renderAdminPage } from "../../lib/registry/admin_html.ts";
import { CsrfTokens } from "../../lib/registry/csrf.ts";
import { urlFromHost } from "../../lib/registry/install_pages.ts";
import { RpcError } from "../../lib/registry/rpc_error.ts";

Deno.test("CSRF tokens: accepted while fresh; stale, future, forged or other-key ones refused", () => {
  const clock = { now: 1_700_000_000_000 };
  const key = new Uint8Array(32).fill(7);
  const csrf = new CsrfTokens(key, () => clock.now, 60_000);
  const token = csrf.issue();
  assert.equal(csrf.verify(token), true);
  clock.now += 60_000;
  assert.equal(csrf.verify(token), true);
  clock.now += 1;
  assert.equal(csrf.verify(token), false, "stale");
  clock.now -= 120_000;
  assert.equal(csrf.verify(token), false, "issued in the future");
  clock.now += 60_000;
  const other = new CsrfTokens(new Uint8Array(32).fill(8), () => clock.now);
  assert.equal(other.verify(token), false, "another process's key");
  const [issued, mac] = token.split(".");
  assert.equal(csrf.verify(`${Number(issued) + 1}.${mac}`), false, "re-dated");
  for (const bad of [undefined, "", ".", "x.y", `${issued}.${mac}x`, `${issued}.${mac}.`]) {
    assert.equal(csrf.verify(bad), false, String(bad));
  }
});

Deno.test("admin HTML escapes every piece of data", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  const evil = `"><script>alert(1)</script>`;
  const html = renderAdminPage({
    nodes: [{
      cn: "1/16",
      prefix: "0000000000000001",
      email: `o'brien"&${evil}@example.com`,
      subjectSerial: 1,
      serial: 2n,
      notAfter: 1_800_000_000,
      registryNode: false,
    }],
    tokens: [{ token: evil, email: evil, prefixLen: 16, date: 1_700_000_000 }],
    csrf: `1.${evil}`,
    nonce: "n0nce",
    notice: { ok: false, text: evil },
    now: 1_700_000_000,
  });
  assert.doesNotMatch(html, /<script>alert/);
  assert.equal(html.match(/<script/g)!.length, 1, "only the page's own script");
  assert.match(html, /<script nonce="n0nce">/);
  assert.match(html, /o&#39;brien&quot;&amp;&quot;&gt;&lt;script&gt;/);
  assert.match(html, /<tr data-token="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;">/);
  assert.match(html, /<a class="revoke" href="\/admin\?revoke=1%2F16">/);
  assert.match(html, /No topology/);
  assert.match(html, /history\.replaceState/, "a POST result drops itself from the history");
  assert.equal(formatDate(0), "1970-01-01 00:00 UTC");
});

Deno.test("admin confirmation and topology sections", () => {
  const node = {
    cn: "2/16",
    prefix: "0000000000000010",
    email: null,
    subjectSerial: 3,
    serial: 9n,
    notAfter: 10,
    registryNode: false,
  };
  const html = renderAdminPage({
    nodes: [node],
    tokens: [],
    topologySvg: '<?xml version="1.0"?>\n<svg id="t"></svg>',
    csrf: "1.x",
    nonce: "n",
    confirmRevoke: node,
    now: 20,
  });
  assert.match(html, /<section class="confirm" id="confirm-revoke"><h2>Revoke 2\/16\?/);
  assert.match(html, /name="cn" value="2\/16"/);
  assert.match(html, /<td class="num expired" data-sort="10">/);
  assert.match(html, /<section id="topology" class="topology"><h2>Topology<\/h2><svg id="t">/);
  assert.doesNotMatch(html, /replaceState/, "a GET page keeps its URL");
});

Deno.test("Host header → installer URL; bad hosts are 400", () => {
  assert.equal(urlFromHost("registry.example.org"), "http://registry.example.org");
  assert.equal(urlFromHost("198.18.0.1:8080"), "http://198.18.0.1:8080");
  assert.equal(urlFromHost("[2001:db8::1]:80"), "http://[2001:db8::1]:80");
  for (const bad of [null, "", "a b", "x'y", "a/b", "h:99999999", "[zz]"]) {
    assert.throws(() => urlFromHost(bad), (e) => e instanceof RpcError && e.status === 400);
  }
});

Deno.test("admin POST origin check", () => {
  assert.equal(sameOrigin(null, "h:1"), true, "no Origin header (not a browser)");
  assert.equal(sameOrigin("http://h:1", "h:1"), true);
  assert.equal(sameOrigin("http://evil:1", "h:1"), false);
  assert.equal(sameOrigin("null", "h:1"), false);
  assert.equal(sameOrigin("http://h:1", null), false);
});

Deno.test("registry options: --metrics-origin, --public-url, --artifacts", () => {
  const base = ["--ca", "ca.crt", "--key", "ca.key", "--dh", "dh.pem"];
  const r = parseArgs(registrySchema, [
    ...base,
    "--authorized-origin",
    "198.18.0.5",
    "--metrics-origin",
    "198.18.0.9",
    "--public-url",
    "https://registry.example.org/",
    "--artifacts",
    "/srv/re6st",
  ]);
  assert.ok(r.ok, r.ok ? "" : r.stderr);
  assert.deepEqual(r.options.metricsOrigins, ["127.0.0.1", "::1", "198.18.0.5", "198.18.0.9"]);
  assert.deepEqual(r.options.authorizedOrigins, ["127.0.0.1", "::1", "198.18.0.5"]);
  assert.equal(r.options.publicUrl, "https://registry.example.org");
  assert.equal(r.options.artifacts, "/srv/re6st");
  const d = parseArgs(registrySchema, base);
  assert.ok(d.ok);
  assert.equal(d.options.publicUrl, undefined);
  assert.equal(d.options.artifacts, undefined);
  for (
    const [args, re] of [
      [["--public-url", "ftp://x/"], /must be http or https/],
      [["--public-url", "nope"], /not a URL/],
      [["--public-url", "http://x/'a"], /unsafe characters/],
      [["--metrics-origin", "monitor"], /not an IP address/],
    ] as const
  ) {
    const bad = parseArgs(registrySchema, [...base, ...args]);
    assert.ok(!bad.ok);
    assert.match(bad.stderr!, re);
  }
});
