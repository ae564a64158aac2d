import assert from "node:assert/strict";
import { dhParamsPem, ffdhe2048Prime, writeDhParams } from "../../lib/pki/dh.ts";
import { run, withTempDir } from "./fixtures.ts";

Deno.test("ffdhe2048 computed from RFC 7919's formula equals OpenSSL's built-in group", async () => {
  const p = ffdhe2048Prime();
  assert.equal(p.toString(2).length, 2048);
  assert.equal(p >> 1984n, (1n << 64n) - 1n, "top 64 bits set");
  assert.equal(p & ((1n << 64n) - 1n), (1n << 64n) - 1n, "low 64 bits set");
  await withTempDir(async (dir) => {
    await writeDhParams(`${dir}/dh.pem`);
    assert.equal(await Deno.readTextFile(`${dir}/dh.pem`), dhParamsPem());
    const check = await run("openssl", ["dhparam", "-in", `${dir}/dh.pem`, "-check", "-noout"]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout + check.stderr, /DH parameters appear to be ok/);
    const ref = await run("openssl", [
      "genpkey",
      "-genparam",
      "-algorithm",
      "DH",
      "-pkeyopt",
      "group:ffdhe2048",
    ]);
    assert.equal(ref.code, 0, ref.stderr);
    assert.equal(ref.stdout, dhParamsPem());
  });
});
