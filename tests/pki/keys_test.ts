import assert from "node:assert/strict";
import { PkiError } from "../../lib/pki/errors.ts";
import { generateRsaKey, keyBits, loadPrivateKey, writePrivateKey } from "../../lib/pki/keys.ts";
import { run, withTempDir } from "./fixtures.ts";

Deno.test("generated keys have the requested size, are written 0600 and OpenSSL reads them", async () => {
  const pem = await generateRsaKey(1024);
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(keyBits(loadPrivateKey(pem)), 1024);
  await withTempDir(async (dir) => {
    const path = `${dir}/cert.key`;
    await Deno.writeTextFile(path, "old", { mode: 0o644 });
    await writePrivateKey(path, pem);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(path), pem);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["cert.key"]);
    const r = await run("openssl", ["rsa", "-in", path, "-check", "-noout"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /RSA key ok/);
    await assert.rejects(writePrivateKey(`${dir}/missing/dir/k`, pem), Deno.errors.NotFound);
  });
});

Deno.test("bad key sizes and non-RSA or garbage keys are refused", async () => {
  for (const bits of [512, 1000, 16384, 2048.5]) {
    await assert.rejects(generateRsaKey(bits), PkiError);
  }
  assert.throws(
    () => loadPrivateKey("junk"),
    (e) => e instanceof PkiError && e.code === "malformed",
  );
  await withTempDir(async (dir) => {
    const r = await run("openssl", ["genpkey", "-algorithm", "ed25519", "-out", `${dir}/ed`]);
    assert.equal(r.code, 0, r.stderr);
    assert.throws(
      () => loadPrivateKey(Deno.readTextFileSync(`${dir}/ed`)),
      (e) => e instanceof PkiError && e.code === "unsupported-key",
    );
    // PKCS#1 (`BEGIN RSA PRIVATE KEY`) is read too.
    const r2 = await run("openssl", ["genrsa", "-traditional", "-out", `${dir}/rsa`, "1024"]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(keyBits(loadPrivateKey(Deno.readTextFileSync(`${dir}/rsa`))), 1024);
  });
});
