/**
 * The one-line installer against the live registry: `curl -fsSL <registry>/install.sh | sh`
 * with the script, service files and `re6st-x86_64` all served by the real `re6st registry`
 * (`--artifacts`). The artifact is a small launcher running this checkout's main.ts with Deno
 * (`deno compile` cannot build the real binary here), so the real `re6st conf --anonymous`
 * registers the node, pinning the CA fingerprint the registry wrote into the script.
 * Everything lands under RE6ST_PREFIX; a second run changes nothing.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { readEmbeddedText } from "../../lib/embedded.ts";
import { runInstaller, snapshot } from "../install/installer_run.ts";
import { freePort, makeCa, RegistryProcess } from "./e2e_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("curl | sh from the live registry: binary, real re6st conf --anonymous, unit; idempotent", async () => {
  const ca = await makeCa();
  const artifacts = `${ca.dir}/artifacts`;
  await Deno.mkdir(artifacts);
  const launcher = `#!/bin/sh\nexec '${Deno.execPath()}' run -A '${ROOT}main.ts' "$@"\n`;
  await Deno.writeTextFile(`${artifacts}/re6st-x86_64`, launcher);
  const reg = new RegistryProcess(ca, freePort(), [
    "--anonymous-prefix-length",
    "16",
    "--artifacts",
    artifacts,
  ]);
  await reg.start();
  try {
    const root = `${ca.dir}/root`;
    const env = { ...Deno.env.toObject(), RE6ST_PREFIX: root, RE6ST_INIT: "systemd" };
    const first = await runInstaller(reg.url, env);
    assert.equal(first.code, 0, first.err + first.out);
    assert.match(first.out, /registering with http:\/\/127\.0\.0\.1:\d+$/m);
    assert.doesNotMatch(first.out + first.err, /no --fingerprint given/, "the CA is pinned");

    assert.equal(await Deno.readTextFile(`${root}/usr/local/bin/re6st`), launcher);
    const etc = `${root}/etc/re6stnet`;
    const cert = new crypto.X509Certificate(await Deno.readTextFile(`${etc}/cert.crt`));
    assert.match(cert.subject, /CN=0\/16/);
    assert.ok(cert.verify(new crypto.X509Certificate(ca.caPem).publicKey), "signed by the CA");
    assert.equal(await Deno.readTextFile(`${etc}/ca.crt`), ca.caPem);
    assert.match(await Deno.readTextFile(`${etc}/re6stnet.conf`), new RegExp(`${reg.url}`));
    assert.equal(
      await Deno.readTextFile(`${root}/etc/systemd/system/re6st-node.service`),
      await readEmbeddedText("systemd/re6st-node.service"),
    );
    assert.match(await reg.log(), /new certificate for 0\/16 \(anonymous\)/);

    const before = await snapshot(root);
    const second = await runInstaller(reg.url, env);
    assert.equal(second.code, 0, second.err + second.out);
    assert.match(second.out, /node already registered/);
    assert.doesNotMatch(second.out, /: (installed|linked)$/m);
    assert.deepEqual(await snapshot(root), before);

    // A registry whose CA does not match the pinned fingerprint is refused.
    const other = await runInstaller(reg.url, {
      ...env,
      RE6ST_PREFIX: `${ca.dir}/other`,
      RE6ST_FINGERPRINT: `sha256:${"00".repeat(32)}`,
    });
    assert.equal(other.code, 1);
    assert.match(other.err, /CA fingerprint mismatch/);
    assert.match(other.err, /registration failed/);
    await assert.rejects(Deno.stat(`${ca.dir}/other/etc/re6stnet/cert.crt`));
    const db = reg.openDb();
    try {
      const n = db.prepare("SELECT count(*) AS n FROM cert WHERE serial IS NOT NULL").get();
      assert.equal(Number(n!.n), 1, "no second certificate");
    } finally {
      db.close();
    }
  } finally {
    await reg.kill("SIGTERM");
    await Deno.remove(ca.dir, { recursive: true });
  }
});
