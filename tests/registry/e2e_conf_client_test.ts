/**
 * End-to-end: the real `re6st registry` with the real `re6st conf` and the independent spec
 * client (lib/registry/client.ts) — registration by e-mail token and anonymously, then every
 * authenticated call, including the re-handshake after a registry restart.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { tryRun } from "../../lib/netns/exec.ts";
import { RegistryClient } from "../../lib/registry/client.ts";
import { setVerbosity } from "../../lib/log.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { freePort, makeCa, RegistryProcess } from "./e2e_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
setVerbosity(0);

async function conf(args: string[], stdin = ""): Promise<{ code: number; out: string }> {
  const r = await tryRun([Deno.execPath(), "run", "-A", `${ROOT}main.ts`, "conf", ...args], {
    stdin,
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test("re6st conf and the spec client against the real registry", async (t) => {
  const ca = await makeCa();
  const mbox = `${ca.dir}/tokens.mbox`;
  const args = ["--anonymous-prefix-length", "16", "--mailhost", mbox, "--client-count", "4"];
  let reg = new RegistryProcess(ca, freePort(), args);
  await reg.start();
  const admin = new RegistryClient({ url: `${reg.url}/` });
  try {
    const tokenDir = `${ca.dir}/by-token`;
    await t.step("registration with a mailed token (interactive e-mail and token)", async () => {
      await Deno.mkdir(tokenDir);
      // conf asks for the e-mail, the registry mails the token (mbox), conf asks for it
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${ROOT}main.ts`, "conf", "--registry", reg.url, "-d", tokenDir],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("carol@example.com\n"));
      const deadline = Date.now() + 20_000;
      let token: string | undefined;
      while (!token && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        const m = /join re6st network is: ([a-z]{8})/.exec(
          await Deno.readTextFile(mbox).catch(() => ""),
        );
        token = m?.[1];
      }
      assert.ok(token, "token mailed to the mbox");
      assert.equal(await admin.isToken(token!), true);
      await w.write(new TextEncoder().encode(`${token}\n`));
      await w.close();
      const out = await child.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const pem = await Deno.readTextFile(`${tokenDir}/cert.crt`);
      assert.match(new crypto.X509Certificate(pem).subject, /CN=0\/16/);
      assert.equal(await Deno.readTextFile(`${tokenDir}/ca.crt`), ca.caPem);
      assert.match(await Deno.readTextFile(`${tokenDir}/re6stnet.conf`), /registry /);
      assert.equal(await admin.isToken(token!), false);
      assert.equal(await admin.getNodePrefix("carol@example.com"), "0/16");
    });

    const anonDir = `${ca.dir}/anonymous`;
    await t.step("anonymous registration", async () => {
      await Deno.mkdir(anonDir);
      const r = await conf(["--registry", reg.url, "--anonymous", "-d", anonDir]);
      assert.equal(r.code, 0, r.out);
      const pem = await Deno.readTextFile(`${anonDir}/cert.crt`);
      assert.match(new crypto.X509Certificate(pem).subject, /CN=1\/16/);
    });

    await t.step("issued certificates pass openssl verify against the CA", async () => {
      for (const dir of [tokenDir, anonDir]) {
        const out = await new Deno.Command("openssl", {
          args: ["verify", "-CAfile", `${dir}/ca.crt`, `${dir}/cert.crt`],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const dec = new TextDecoder();
        assert.equal(out.code, 0, dec.decode(out.stderr));
        assert.match(dec.decode(out.stdout), /cert\.crt: OK/);
      }
    });

    const session = async (dir: string) => {
      const pem = await Deno.readTextFile(`${dir}/cert.crt`);
      const cn = /CN=(\S+)/.exec(new crypto.X509Certificate(pem).subject)![1];
      return new RegistryClient({
        url: reg.url,
        session: {
          ca: ca.caPem,
          key: await Deno.readTextFile(`${dir}/cert.key`),
          prefix: cnToBits(cn),
        },
      });
    };

    await t.step("authenticated calls with the spec client", async () => {
      const client = await session(anonDir);
      const cfg = await client.fetchNetworkConfig();
      assert.ok(cfg, client.lastFailure);
      assert.equal(cfg.client_count, 4);
      assert.equal(cfg.registry_prefix, "0".repeat(16));
      assert.match((await client.getDh())!, /DH PARAMETERS/);
      assert.equal(await client.renewCertificate(), await Deno.readTextFile(`${anonDir}/cert.crt`));
      assert.equal(await client.getBootstrapPeer(), null, "no node answers: 204");
      assert.equal(await client.updateHMAC(), true);
      assert.ok(await client.fetchNetworkConfig());
    });

    await t.step(
      "statement 11: after a registry restart the client re-handshakes once",
      async () => {
        const client = await session(tokenDir);
        assert.ok(await client.fetchNetworkConfig(), client.lastFailure);
        await reg.kill("SIGTERM");
        reg = new RegistryProcess(ca, reg.port, args);
        await reg.start();
        const cfg = await client.fetchNetworkConfig();
        assert.ok(cfg, client.lastFailure);
        assert.equal(cfg.registry_prefix, "0".repeat(16));
        const log = await reg.log();
        assert.match(log, /getNetworkConfig\?cn=0{16} 401/);
      },
    );

    await t.step("private methods through the client; revoke by CN frees the prefix", async () => {
      assert.equal(await admin.addToken("dave@example.com", "davetokn"), true);
      assert.equal(await admin.isToken("davetokn"), true);
      assert.equal(await admin.deleteToken("davetokn"), true);
      assert.equal(await admin.getIPv6Address("carol@example.com"), "2001:db8:42::");
      const observer = await session(tokenDir);
      const before = await observer.fetchNetworkConfig();
      assert.ok(before, observer.lastFailure);
      const anonPem = await Deno.readTextFile(`${anonDir}/cert.crt`);
      const serial = BigInt("0x" + new crypto.X509Certificate(anonPem).serialNumber);
      assert.equal(await admin.revoke("1/16"), true);
      const client = await session(anonDir);
      assert.equal(await client.fetchNetworkConfig(), undefined, "revoked prefix has no cert");
      const after = await observer.fetchNetworkConfig();
      assert.ok(after, observer.lastFailure);
      assert.deepEqual(after.crl, [Number(serial)], "the revoked serial is in the next parameters");
      assert.notDeepEqual(after.version, before.version, "revocation publishes a new version");
      assert.deepEqual(await admin.topology(), { "": [] }, "no node answers the crawl");
    });
  } finally {
    await reg.kill("SIGTERM");
    await Deno.remove(ca.dir, { recursive: true });
  }
});
