import assert from "node:assert/strict";
import crypto from "node:crypto";
import { loadPrivateKey } from "../../lib/pki/keys.ts";
import { nativeSigning, signSha512 } from "../../lib/pki/sha512_sign.ts";
import { testKey } from "./fixtures.ts";

Deno.test("signatures through the system OpenSSL equal node:crypto's, byte for byte", async () => {
  assert.equal(nativeSigning(), true, "libcrypto.so.3 loads under -A");
  for (const bits of [1024, 2048]) {
    const key = loadPrivateKey(await testKey("a", bits));
    for (const data of [new Uint8Array(0), new Uint8Array(700).fill(7), crypto.randomBytes(5000)]) {
      const sig = signSha512(key, data);
      assert.equal(sig.length, bits / 8);
      assert.deepEqual(sig, new Uint8Array(crypto.sign("sha512", data, key)));
    }
  }
});

Deno.test("without FFI permission signing falls back to node:crypto", async () => {
  const code = `
    import crypto from "node:crypto";
    import { Buffer } from "node:buffer";
    import { nativeSigning, signSha512 } from "${new URL(
    "../../lib/pki/sha512_sign.ts",
    import.meta.url,
  )}";
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
    const data = new Uint8Array([1, 2, 3]);
    const same = Buffer.from(signSha512(privateKey, data)).equals(crypto.sign("sha512", data, privateKey));
    console.log(nativeSigning(), same);
  `;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", file],
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(file));
  assert.equal(
    new TextDecoder().decode(out.stdout).trim(),
    "false true",
    new TextDecoder().decode(out.stderr),
  );
});
