/**
 * OpenVPN 2.6 reads what lib/pki writes: CA, v1 node certificates, PKCS#8 keys, ffdhe2048 and
 * CRLs; `--verify-x509-name "<CN>" name` matches our CN form. Loopback only, `--dev null`.
 */
import assert from "node:assert/strict";
import { createCrlPem } from "../../lib/pki/crl.ts";
import { writeDhParams } from "../../lib/pki/dh.ts";
import { writePrivateKey } from "../../lib/pki/keys.ts";
import { createTestNode } from "../../lib/pki/testing.ts";
import { testCa, testKey, withTempDir } from "./fixtures.ts";

/** An openvpn process whose merged output is collected; `waitFor` polls with a deadline. */
function openvpn(args: string[]) {
  const child = new Deno.Command("openvpn", { args, stdout: "piped", stderr: "piped" }).spawn();
  let log = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) log += dec.decode(chunk);
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    log: () => log,
    async waitFor(re: RegExp, ms: number): Promise<boolean> {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (re.test(log)) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return re.test(log);
    },
    async stop() {
      try {
        Deno.kill(child.pid, "SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await done;
    },
  };
}

const COMMON = ["--proto", "udp", "--dev", "null", "--cipher", "none", "--data-ciphers", "none"];

Deno.test("OpenVPN accepts our certificates, DH and CRL, and refuses a revoked client", async () => {
  const { signer, certPem } = await testCa();
  const server = await createTestNode(signer, "0000000000000101", { keyPem: await testKey("a") });
  const client = await createTestNode(signer, "0000000000000110", { keyPem: await testKey("b") });
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/ca.crt`, certPem);
    for (const [name, n] of [["server", server], ["client", client]] as const) {
      await Deno.writeTextFile(`${dir}/${name}.crt`, n.certPem);
      await writePrivateKey(`${dir}/${name}.key`, n.keyPem);
    }
    await writeDhParams(`${dir}/dh.pem`);
    await Deno.writeTextFile(`${dir}/none.crl`, createCrlPem(signer, [3n]));
    await Deno.writeTextFile(`${dir}/revoked.crl`, createCrlPem(signer, [client.cert.serial]));

    const session = (crl: string) => {
      const port = String(20000 + Math.floor(Math.random() * 40000));
      const s = openvpn([
        "--tls-server",
        "--local",
        "127.0.0.1",
        "--lport",
        port,
        ...COMMON,
        "--ca",
        `${dir}/ca.crt`,
        "--cert",
        `${dir}/server.crt`,
        "--key",
        `${dir}/server.key`,
        "--dh",
        `${dir}/dh.pem`,
        "--crl-verify",
        `${dir}/${crl}`,
        "--verb",
        "3",
      ]);
      const c = openvpn([
        "--tls-client",
        "--remote",
        "127.0.0.1",
        port,
        "--nobind",
        ...COMMON,
        "--ca",
        `${dir}/ca.crt`,
        "--cert",
        `${dir}/client.crt`,
        "--key",
        `${dir}/client.key`,
        "--verify-x509-name",
        server.cert.cn,
        "name",
        "--verb",
        "3",
      ]);
      return { s, c };
    };

    let { s, c } = session("none.crl");
    try {
      assert.ok(await c.waitFor(/Initialization Sequence Completed/, 15_000), c.log() + s.log());
      assert.match(c.log(), /VERIFY X509NAME OK: .*CN=5\/16/);
      assert.ok(await s.waitFor(/\[6\/16\] Peer Connection Initiated/, 5_000), s.log());
    } finally {
      await c.stop();
      await s.stop();
    }
    ({ s, c } = session("revoked.crl"));
    try {
      assert.ok(await s.waitFor(/certificate revoked/, 15_000), s.log());
      assert.doesNotMatch(c.log(), /Initialization Sequence Completed/);
    } finally {
      await c.stop();
      await s.stop();
    }
  });
});
