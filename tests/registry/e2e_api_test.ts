/**
 * End-to-end: the real `re6st registry` process over real HTTP, with a real SMTP server
 * (aiosmtpd) and a UDP socket standing in for the co-located node on [::1].
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import crypto from "node:crypto";
import zlib from "node:zlib";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { unpackInteger } from "../../lib/wire/pack_integer.ts";
import {
  decryptB64,
  FakeLocalNode,
  freePort,
  get,
  localDatagram,
  makeCa,
  makeNode,
  NodeSession,
  query,
  RegistryProcess,
  sh,
  type TestNode,
  waitFor,
} from "./e2e_helpers.ts";

const decoder = new TextDecoder();
const text = (b: Uint8Array) => decoder.decode(b);

/** A real SMTP server printing received messages. */
async function startSmtp(): Promise<
  { port: number; output: () => string; stop: () => Promise<void> }
> {
  const port = freePort();
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-u", "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let out = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) out += decoder.decode(chunk);
  })();
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("aiosmtpd did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    output: () => out,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    },
  };
}

function networkConfig(body: Uint8Array): Record<string, unknown> {
  return JSON.parse(text(new Uint8Array(zlib.inflateSync(body))));
}

function versionNumber(cfg: Record<string, unknown>): bigint {
  return unpackInteger(Buffer.from(cfg.version as string, "base64")).value;
}

Deno.test("registry end to end: public and private methods over real HTTP", async (t) => {
  const ca = await makeCa();
  const smtp = await startSmtp();
  const node = new FakeLocalNode();
  await node.start();
  const env = { RE6ST_REGISTRY_NODE_PORT: String(node.port) };
  const args = [
    "--anonymous-prefix-length",
    "16",
    "--mailhost",
    `127.0.0.1:${smtp.port}`,
    "--client-count",
    "5",
    "--hello",
    "4",
    "--ipv4",
    "198.18.3.4/16",
    "8",
  ]; // deno-fmt-ignore
  let reg = new RegistryProcess(ca, freePort(), args, env);
  await reg.start();
  const nodes: { n: TestNode; prefix: string; pem: string }[] = [];
  let registryBits = "";
  try {
    await t.step("statement 8: getCa is public, 200, no Content-Type; /a/b is 400", async () => {
      const a = await get(reg.url, "/getCa");
      assert.equal(a.status, 200);
      assert.equal(text(a.body), ca.caPem);
      assert.equal(a.headers.get("content-type"), null);
      assert.equal(a.headers.get("content-length"), String(a.body.length));
      assert.equal((await get(reg.url, "/a/b")).status, 400);
    });

    let token = "";
    await t.step(
      "statement 25: requestToken stores an 8-letter token and mails it over SMTP",
      async () => {
        const a = await get(reg.url, `/requestToken?${query([["email", "alice@example.com"]])}`);
        assert.equal(a.status, 204);
        const db = reg.openDb();
        const row = db.prepare("SELECT token, email, prefix_len FROM token").get() as Record<
          string,
          unknown
        >;
        db.close();
        token = row.token as string;
        assert.match(token, /^[a-z]{8}$/);
        assert.equal(new Set(token).size, 8);
        assert.equal(row.email, "alice@example.com");
        assert.equal(row.prefix_len, 16);
        await waitFor(() => smtp.output().includes(token), 10_000);
        const mail = smtp.output();
        assert.match(mail, /Subject: \[re6stnet\] Token Request/);
        assert.match(mail, /From: registry@example.com/);
        assert.match(mail, /To: alice@example.com/);
        assert.ok(mail.includes(`Hello, your token to join re6st network is: ${token}`));
        assert.equal(text((await get(reg.url, `/isToken?token=${token}`)).body), "1");
      },
    );

    await t.step("statement 20: first registrations get 0/16, 1/16, 2/16, 3/16", async () => {
      for (let i = 0; i < 4; i++) {
        const n = makeNode();
        const tok = i === 0 ? token : "";
        const a = await get(
          reg.url,
          `/requestCertificate?${
            query([["token", tok], ["req", n.csr], ["location", ""], ["ip", ""]])
          }`,
        );
        assert.equal(a.status, 200);
        const pem = text(a.body);
        const cert = new crypto.X509Certificate(pem);
        const cn = /CN=([^\n]+)/.exec(cert.subject)![1];
        assert.equal(cn, `${i}/16`);
        nodes.push({ n, prefix: cnToBits(cn), pem });
      }
      registryBits = nodes[0].prefix;
      assert.equal((await get(reg.url, `/isToken?token=${token}`)).status, 204);
      const again = await get(
        reg.url,
        `/requestCertificate?${query([["token", token], ["req", nodes[0].n.csr]])}`,
      );
      assert.equal(again.status, 204, "a token is single use");
    });

    await t.step("statement 16: certificate fields", async () => {
      for (const [i, { pem }] of nodes.entries()) {
        const cert = new crypto.X509Certificate(pem);
        assert.equal(cert.issuer, new crypto.X509Certificate(ca.caPem).subject);
        assert.ok(cert.subject.includes(`serialNumber=${i}`));
        assert.equal(BigInt("0x" + cert.serialNumber), BigInt(i + 1));
        assert.ok(cert.verify(new crypto.X509Certificate(ca.caPem).publicKey));
        const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86400e3;
        assert.equal(days, 365);
      }
      const dump = await new Deno.Command("openssl", {
        args: ["x509", "-noout", "-text"],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const w = dump.stdin.getWriter();
      await w.write(new TextEncoder().encode(nodes[1].pem));
      await w.close();
      const out = text((await dump.output()).stdout);
      assert.match(out, /Version: 1 \(0x0\)/);
      assert.match(out, /Signature Algorithm: sha512WithRSAEncryption/);
    });

    await t.step(
      "statement 24 (registry side): IPv4 payload parameters, subject serial 3",
      async () => {
        const s = new NodeSession(reg.url, ca, nodes[3].n.key, nodes[3].prefix);
        assert.equal((await s.hello()).status, 200);
        const cfg = networkConfig((await s.call("getNetworkConfig")).body);
        assert.equal(cfg.ipv4, "198.18.0.0/16", "--ipv4 198.18.3.4/16 is normalised");
        assert.equal(cfg.ipv4_sublen, 8);
        const subject = new crypto.X509Certificate(nodes[3].pem).subject;
        const subjectSerial = Number(/serialNumber=(\d+)/.exec(subject)![1]);
        assert.equal(subjectSerial, 3);
        // what the node derives (spec §5.5): 198.18.0.0 | 3 << (32 - 24), + 1
        const base = (198 << 24 >>> 0) + (18 << 16) + (subjectSerial << 8);
        assert.equal([24, 16, 8, 0].map((b) => ((base + 1) >>> b) & 255).join("."), "198.18.3.1");
      },
    );

    await t.step(
      "statement 9: hello halves verify with the CA and decrypt to 20 bytes",
      async () => {
        const s = new NodeSession(reg.url, ca, nodes[1].n.key, nodes[1].prefix);
        const a = await s.hello();
        assert.equal(a.status, 200);
        assert.equal(a.body.length, 512);
        assert.equal(s.key?.length, 20);
        assert.equal((await get(reg.url, `/hello?client_prefix=${"1".repeat(16)}`)).status, 404);
      },
    );

    await t.step(
      "statements 10, 12, 27: HMAC chain, replay, second hello, parameters",
      async () => {
        const s = new NodeSession(reg.url, ca, nodes[1].n.key, nodes[1].prefix);
        await s.hello();
        const k = s.key!;
        const target = `/getNetworkConfig?cn=${nodes[1].prefix}`;
        const tag = crypto.createHmac("sha1", k).update(target).digest("base64");
        const a = await get(reg.url, target, { Re6stHMAC: tag });
        assert.equal(a.status, 200);
        const k1 = crypto.createHash("sha1").update(k).digest();
        assert.equal(
          a.headers.get("Re6stHMAC"),
          crypto.createHmac("sha1", k1).update(a.body).digest("base64"),
        );
        assert.equal(a.headers.get("content-type"), null);
        assert.equal((await get(reg.url, target, { Re6stHMAC: tag })).status, 400, "replay");
        s.key = new Uint8Array(crypto.createHash("sha1").update(k1).digest());
        // a hello from someone else does not break the running chain
        assert.equal(
          (await get(reg.url, `/hello?client_prefix=${nodes[1].prefix}&protocol=1`)).status,
          200,
        );
        const c = await s.call("getNetworkConfig");
        assert.ok(c.authentic);
        const cfg = networkConfig(c.body);
        for (
          const key of [
            "babel_default",
            "crl",
            "protocol",
            "min_protocol",
            "registry_prefix",
            "client_count",
            "max_clients",
            "encrypt",
            "hello",
            "tunnel_refresh",
            "version",
          ]
        ) {
          assert.ok(key in cfg, key);
        }
        assert.deepEqual(cfg[""], ["version"]);
        assert.equal(cfg.registry_prefix, registryBits);
        assert.equal(cfg.client_count, 5);
        assert.equal(cfg.max_clients, 10);
        assert.equal(cfg.hello, 4);
        assert.equal(cfg.protocol, 10);
        assert.equal(cfg.ipv4, "198.18.0.0/16");
        assert.equal(cfg.ipv4_sublen, 8);
        const version = Buffer.from(cfg.version as string, "base64");
        const k0 = 1 + (version[0] >> 5);
        assert.ok(crypto.verify("sha512", version.subarray(0, k0), ca.caPem, version.subarray(k0)));
        // a brand-new registry signs babel with a random key from day one
        assert.equal(decryptB64(nodes[1].n.key, cfg.babel_hmac_sign as string).length, 16);
        assert.equal("babel_hmac_accept" in cfg, false);
        assert.equal((await s.call("getDh")).status, 200);
      },
    );

    await t.step(
      "statement 13: private methods refuse other origins without side effects",
      async () => {
        const out = await sh("curl", [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--interface",
          "127.0.0.2",
          `${reg.url}/addToken?email=eve@example.com&token=evetoken`,
        ]); // deno-fmt-ignore
        assert.equal(out, "403");
        const xff = await get(reg.url, "/addToken?email=eve@example.com&token=evetoken", {
          "X-Forwarded-For": "198.18.0.66",
        });
        assert.equal(xff.status, 403);
        assert.equal((await get(reg.url, "/isToken?token=evetoken")).status, 204);
        const ok = await get(reg.url, "/addToken?email=bob@example.com&token=bobtoken", {
          "X-Forwarded-For": "127.0.0.1",
        });
        assert.equal(ok.status, 204);
        const generated = await get(reg.url, "/addToken?email=bob@example.com&token=");
        assert.match(new TextDecoder().decode(generated.body), /^[a-z]{8}$/);
        assert.equal(
          (await get(reg.url, "/addToken?email=bob@example.com&token=bobtoken")).status,
          409,
        );
        assert.equal(text((await get(reg.url, "/isToken?token=bobtoken")).body), "1");
        assert.equal((await get(reg.url, "/deleteToken?token=bobtoken")).status, 204);
        assert.equal((await get(reg.url, "/isToken?token=bobtoken")).status, 204);
        assert.equal(
          text((await get(reg.url, "/getNodePrefix?email=alice@example.com")).body),
          "0/16",
        );
        assert.equal(
          text((await get(reg.url, "/getIPv6Address?email=alice@example.com")).body),
          "2001:db8:42::",
        );
        assert.equal((await get(reg.url, "/getNodePrefix?email=nobody@example.com")).status, 204);
      },
    );

    await t.step("statements 14, 15: bootstrap peer through the local node", async () => {
      const addresses = "198.18.0.1,1194,tcp,FR;2001:db8::1,1194,tcp6,FR";
      node.answer = (target, code) =>
        code === 1 && target === registryBits ? localDatagram(target, 1, addresses) : null;
      for (
        const [protocol, expected] of [[10, addresses], [
          6,
          "198.18.0.1,1194,tcp;2001:db8::1,1194,tcp6",
        ]] as const
      ) {
        const s = new NodeSession(reg.url, ca, nodes[2].n.key, nodes[2].prefix);
        await s.hello(protocol);
        const a = await s.call("getBootstrapPeer");
        assert.equal(a.status, 200);
        assert.ok(a.authentic);
        const plain = crypto.privateDecrypt({
          key: nodes[2].n.key,
          padding: crypto.constants.RSA_PKCS1_PADDING,
        }, a.body);
        assert.equal(text(plain), `${registryBits} ${expected}`);
      }
      // the registry node itself never gets its own prefix
      const self = new NodeSession(reg.url, ca, nodes[0].n.key, registryBits);
      await self.hello();
      const mine = await self.call("getBootstrapPeer");
      assert.equal(mine.status, 204);
      assert.ok(mine.authentic);
      assert.equal(
        text((await get(reg.url, "/getIPv4Information?email=alice@example.com")).body),
        "198.18.0.1",
      );
      // no answer from the node: 204 within 3 s
      node.answer = () => null;
      const s = new NodeSession(reg.url, ca, nodes[2].n.key, nodes[2].prefix);
      await s.hello();
      const t0 = Date.now();
      assert.equal((await s.call("getBootstrapPeer")).status, 204);
      assert.ok(Date.now() - t0 < 4000);
    });

    await t.step("versions and topology crawl through the local node", async () => {
      const p1 = nodes[1].prefix;
      node.answer = (target, code) => {
        if (code === 4) return localDatagram(target, 4, "0.1.0, test");
        if (code === 5 && target === registryBits) return localDatagram(target, 5, "1 1/16 2/16");
        if (code === 5 && target === p1) return localDatagram(target, 5, "0 0/16");
        return null;
      };
      const v = JSON.parse(text((await get(reg.url, "/versions")).body));
      assert.deepEqual(v, { [registryBits]: "0.1.0, test" });
      const topo = JSON.parse(text((await get(reg.url, "/topology")).body));
      assert.deepEqual(topo[""].sort(), ["0/16", "1/16"]);
      assert.deepEqual(topo["0/16"], ["1/16"]);
      assert.deepEqual(topo["2/16"], ["0/16"]);
      node.answer = () => null;
    });

    await t.step("statement 30: updateHMAC steps over HTTP follow the rotation table", async () => {
      const s = new NodeSession(reg.url, ca, nodes[1].n.key, nodes[1].prefix);
      await s.hello();
      const keys = async () => {
        const cfg = networkConfig((await s.call("getNetworkConfig")).body);
        const dec = (k: string) =>
          k in cfg
            ? (cfg[k] === ""
              ? ""
              : Buffer.from(decryptB64(nodes[1].n.key, cfg[k] as string)).toString("hex"))
            : undefined;
        return {
          sign: dec("babel_hmac_sign"),
          accept: dec("babel_hmac_accept"),
          validUntil: cfg.valid_until,
          version: versionNumber(cfg),
        };
      };
      // a new registry starts in (K0,-,-); cycle to (K1,-,-), then check every transition
      const start = await keys();
      assert.equal((await get(reg.url, "/updateHMAC")).status, 204); // (K0,-,-) → (K0,K1,-)
      assert.equal((await get(reg.url, "/updateHMAC")).status, 204); // → (-,K1,K0)
      assert.equal((await get(reg.url, "/updateHMAC")).status, 204); // → (K1,-,-)
      const s1 = await keys();
      assert.equal(s1.accept, undefined);
      const s2v = (await get(reg.url, "/updateHMAC"), await keys());
      assert.equal(s2v.sign, s1.sign);
      assert.equal(typeof s2v.accept, "string");
      assert.ok(typeof s2v.validUntil === "number" && s2v.validUntil > Date.now() / 1000);
      await get(reg.url, "/updateHMAC");
      const s3 = await keys();
      assert.equal(s3.sign, s2v.accept);
      assert.equal(s3.accept, s1.sign);
      assert.equal(s3.validUntil, undefined);
      await get(reg.url, "/updateHMAC");
      const s4 = await keys();
      assert.equal(s4.sign, s2v.accept);
      assert.equal(s4.accept, undefined);
      assert.equal(s4.version, start.version + 6n);
      const notices = node.received.filter(({ msg }) => text(msg) === `${registryBits}\0\0`);
      assert.ok(notices.length >= 6, `local node notified of each new version (${notices.length})`);
    });

    await t.step(
      "statement 17 + revoke: same PEM when young; same notAfter after revoke by serial",
      async () => {
        const s = new NodeSession(reg.url, ca, nodes[2].n.key, nodes[2].prefix);
        await s.hello();
        const same = await s.call("renewCertificate");
        assert.equal(text(same.body), nodes[2].pem);
        const serial = BigInt("0x" + new crypto.X509Certificate(nodes[2].pem).serialNumber);
        assert.equal((await get(reg.url, `/revoke?cn_or_serial=${serial}`)).status, 204);
        const cfg = networkConfig((await s.call("getNetworkConfig")).body);
        assert.deepEqual(cfg.crl, [Number(serial)]);
        const renewed = await s.call("renewCertificate");
        const oldCert = new crypto.X509Certificate(nodes[2].pem);
        const newCert = new crypto.X509Certificate(text(renewed.body));
        assert.notEqual(newCert.serialNumber, oldCert.serialNumber);
        assert.equal(newCert.validTo, oldCert.validTo);
        assert.equal(newCert.subject, oldCert.subject);
        assert.equal(
          newCert.publicKey.export({ type: "spki", format: "pem" }),
          oldCert.publicKey.export({ type: "spki", format: "pem" }),
        );
        // revoke by CN frees the prefix and drops the session
        assert.equal((await get(reg.url, "/revoke?cn_or_serial=3/16")).status, 204);
        assert.equal((await get(reg.url, `/hello?client_prefix=${nodes[3].prefix}`)).status, 404);
        assert.equal((await get(reg.url, "/revoke?cn_or_serial=3/16")).status, 404);
        const n = makeNode();
        const again = await get(
          reg.url,
          `/requestCertificate?${query([["token", ""], ["req", n.csr]])}`,
        );
        assert.match(new crypto.X509Certificate(text(again.body)).subject, /CN=3\/16/);
      },
    );

    await t.step(
      "statements 11, 28: after a restart with another client-count: 401, re-hello, version + 1",
      async () => {
        const s = new NodeSession(reg.url, ca, nodes[1].n.key, nodes[1].prefix);
        await s.hello();
        const before = versionNumber(networkConfig((await s.call("getNetworkConfig")).body));
        assert.equal(await reg.kill("SIGTERM"), 0);
        node.received.length = 0;
        reg = new RegistryProcess(ca, reg.port, args.map((a) => (a === "5" ? "7" : a)), env);
        await reg.start();
        const stale = await s.call("getNetworkConfig");
        assert.equal(stale.status, 401);
        await s.hello();
        const cfg = networkConfig((await s.call("getNetworkConfig")).body);
        assert.equal(cfg.client_count, 7);
        assert.equal(versionNumber(cfg), before + 1n);
        await waitFor(() => node.received.some(({ msg }) => text(msg) === `${registryBits}\0\0`));
      },
    );
  } finally {
    await reg.kill("SIGTERM");
    node.close();
    await smtp.stop();
    await Deno.remove(ca.dir, { recursive: true });
  }
});
