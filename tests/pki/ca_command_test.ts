import assert from "node:assert/strict";
import { run, withTempDir } from "./fixtures.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

function re6st(...args: string[]) {
  return run(Deno.execPath(), ["run", "-A", MAIN, ...args]);
}

Deno.test("re6st ca writes a CA key (0600), certificate and DH file that OpenSSL accepts", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/net`;
    const r = await re6st(
      "ca",
      "--prefix",
      "2001:db8:42::/48",
      "--dir",
      out,
      "--days",
      "30",
      "--subject",
      "/C=FR/O=example/CN=re6st CA",
      "--email",
      "ca@example.com",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^network 2001:db8:42::\/48$/m);
    assert.match(r.stdout, /^serial 0x120010db80042$/m);
    assert.equal((await Deno.stat(`${out}/ca.key`)).mode! & 0o777, 0o600);
    const key = await run("openssl", ["rsa", "-in", `${out}/ca.key`, "-check", "-noout", "-text"]);
    assert.equal(key.code, 0, key.stderr);
    assert.match(key.stdout, /Private-Key: \(2048 bit/);
    const x = await run("openssl", [
      "x509",
      "-in",
      `${out}/ca.crt`,
      "-noout",
      "-serial",
      "-subject",
      "-enddate",
      "-fingerprint",
      "-sha256",
    ]);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout, /serial=0120010DB80042/);
    assert.match(
      x.stdout,
      /subject=C ?= ?FR, O ?= ?example, CN ?= ?re6st CA, emailAddress ?= ?ca@example.com/,
    );
    const hex = /Fingerprint=([0-9A-F:]+)/.exec(x.stdout)![1].replaceAll(":", "").toLowerCase();
    assert.match(r.stdout, new RegExp(`^fingerprint sha256:${hex}$`, "m"));
    const days = (Date.parse(/notAfter=(.*)/.exec(x.stdout)![1]) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, String(days));
    const certKey = await run("openssl", ["x509", "-in", `${out}/ca.crt`, "-noout", "-pubkey"]);
    const ownKey = await run("openssl", ["pkey", "-in", `${out}/ca.key`, "-pubout"]);
    assert.equal(certKey.stdout, ownKey.stdout, "key matches certificate");
    const dh = await run("openssl", ["dhparam", "-in", `${out}/dh.pem`, "-check", "-noout"]);
    assert.equal(dh.code, 0, dh.stderr);

    const again = await re6st("ca", "--prefix", "2001:db8:42::/48", "--dir", out);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /refusing to overwrite .*ca\.key.*--force/);
    const before = await Deno.readTextFile(`${out}/ca.crt`);
    const forced = await re6st(
      "ca",
      "--prefix",
      "fd00:42::/32",
      "--dir",
      out,
      "--force",
      "--bits",
      "1024",
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^serial 0x1fd000042$/m);
    assert.notEqual(await Deno.readTextFile(`${out}/ca.crt`), before);
  });
});

Deno.test("re6st ca: bad options give one error line and exit 2", async () => {
  await withTempDir(async (dir) => {
    const cases: [string[], RegExp][] = [
      [[], /--prefix is required/],
      [["--prefix", "198.18.0.0/15"], /IPv6/],
      [["--prefix", "2001:db8:42::1/48"], /host bits/],
      [["--prefix", "2001:db8::/129"], /prefix/],
      [["--prefix", "2001:db8::/32", "--bits", "512"], /--bits/],
      [["--prefix", "2001:db8::/32", "--bits", "2047"], /--bits/],
      [["--prefix", "2001:db8::/32", "--days", "-1"], /days/],
      [["--prefix", "2001:db8::/32", "--subject", "CN=x"], /subject/],
      [["--prefix", "2001:db8::/32", "--subject", "/C=FRA"], /C value/],
      [["--prefix", "2001:db8::/32", "--email", "nobody"], /--email/],
      [["--prefix", "2001:db8::/32", "extra"], /positional/i],
      [["--prefix", "2001:db8::/32", "--nope"], /Unknown option/],
    ];
    for (const [args, message] of cases) {
      const r = await re6st("ca", "--dir", dir, ...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^re6st ca: /);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
    const help = await re6st("ca", "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--prefix IPV6\/LEN/);
  });
});
