import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ConfOptions } from "../../lib/config/conf_options.ts";
import { ConfFailure, type ConfIO, register } from "../../lib/conf/register.ts";
import { run } from "../../lib/conf/run.ts";
import { reusableSubject } from "../../lib/conf/subject.ts";
import { tryRun } from "../../lib/netns/exec.ts";
import { TestRegistry } from "./test_registry.ts";

/** Scripted user: answers questions in order and records everything said. */
function scripted(answers: string[]) {
  const said: string[] = [], warned: string[] = [], asked: string[] = [];
  const io: ConfIO = {
    ask: (q) => {
      asked.push(q);
      return Promise.resolve(answers.shift());
    },
    say: (l) => said.push(l),
    warn: (l) => warned.push(l),
  };
  return { io, said, warned, asked };
}

function options(registry: TestRegistry, dir: string, more: Partial<ConfOptions> = {}) {
  return {
    registry: registry.url,
    isNeeded: false,
    caOnly: false,
    dir,
    req: [],
    anonymous: false,
    ...more,
  } satisfies ConfOptions;
}

async function withRegistry(fn: (r: TestRegistry, dir: string) => Promise<void>) {
  const registry = await TestRegistry.start();
  const dir = Deno.makeTempDirSync({ prefix: "re6st-conf-" });
  try {
    await fn(registry, dir);
  } finally {
    await registry.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

const mode = (path: string) => Deno.statSync(path).mode! & 0o777;
const files = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("conf: full flow asks e-mail and token, writes every file with the right modes", async () => {
  await withRegistry(async (registry, dir) => {
    registry.tokens.add("abcdefgh");
    const user = scripted(["node@example.org", "abcdefgh"]);
    const status = await register(
      options(registry, dir, {
        req: [["O", "Example"], ["C", "FR"]],
        location: { country: "FR", continent: "EU" },
        fingerprint: { algorithm: "sha256", hex: registry.caSha256 },
      }),
      user.io,
    );
    assert.equal(status, 0);
    assert.deepEqual(user.asked, [
      "Please enter your e-mail address: ",
      "Please enter your token: ",
    ]);
    assert.deepEqual(registry.received.emails, ["node@example.org"]);
    const [call] = registry.received.certificateRequests;
    assert.equal(call.token, "abcdefgh");
    assert.equal(call.location, "FR,EU");
    assert.equal(call.ip, "");

    assert.deepEqual(files(dir), ["ca.crt", "cert.crt", "cert.key", "re6stnet.conf"]);
    assert.equal(Deno.readTextFileSync(`${dir}/ca.crt`), registry.caPem);
    assert.equal(mode(`${dir}/cert.key`), 0o600);
    const key = crypto.createPrivateKey(Deno.readTextFileSync(`${dir}/cert.key`));
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048, "node key has the CA key size");
    const cert = new crypto.X509Certificate(Deno.readTextFileSync(`${dir}/cert.crt`));
    assert.ok(cert.checkPrivateKey(key));
    assert.deepEqual(reusableSubject(Deno.readTextFileSync(`${dir}/cert.crt`)), [
      ["O", "Example"],
      ["C", "FR"],
    ]);
    assert.equal(
      Deno.readTextFileSync(`${dir}/re6stnet.conf`),
      `registry ${registry.url}\nca ca.crt\ncert cert.crt\nkey cert.key\ncountry FR\n` +
        "# increase the log verbosity:\n#verbose 3\n" +
        "# log every OpenVPN process to a file and make it verbose:\n#ovpnlog\n#O--verb\n#O3\n",
    );
    assert.equal(user.said.at(-1), "Your subnet: 2001:db8:42:1::/64 (CN=1/16)");
    assert.ok(user.said.some((l) => /^It will be renewed automatically from \d{4}-/.test(l)));
    assert.deepEqual(user.warned, []);

    // Second run: the key and subject fields are reused, the config is left alone.
    Deno.writeTextFileSync(`${dir}/re6stnet.conf`, "registry http://198.18.0.1/\n");
    const again = scripted([]);
    assert.equal(
      await register(options(registry, dir, { anonymous: true, req: [["O", "Other"]] }), again.io),
      0,
    );
    assert.equal(registry.received.certificateRequests[1].token, "", "anonymous ⇒ empty token");
    const renewed = Deno.readTextFileSync(`${dir}/cert.crt`);
    assert.deepEqual(reusableSubject(renewed), [["O", "Other"], ["C", "FR"]]);
    assert.ok(new crypto.X509Certificate(renewed).checkPrivateKey(key), "same key reused");
    assert.equal(Deno.readTextFileSync(`${dir}/re6stnet.conf`), "registry http://198.18.0.1/\n");
    assert.match(again.warned[0], /no --fingerprint given.*sha256:[0-9a-f]{64}/);
  });
});

Deno.test("conf: fingerprint mismatch aborts before writing anything", async () => {
  await withRegistry(async (registry, dir) => {
    const user = scripted([]);
    await assert.rejects(
      register(
        options(registry, dir, { fingerprint: { algorithm: "sha1", hex: "00".repeat(20) } }),
        user.io,
      ),
      (e) =>
        e instanceof ConfFailure && /^CA fingerprint mismatch: expected sha1:0000/.test(e.message),
    );
    assert.deepEqual(files(dir), []);
  });
});

Deno.test("conf: --ca-only writes only ca.crt", async () => {
  await withRegistry(async (registry, dir) => {
    assert.equal(await register(options(registry, dir, { caOnly: true }), scripted([]).io), 0);
    assert.deepEqual(files(dir), ["ca.crt"]);
    assert.equal(registry.received.certificateRequests.length, 0);
  });
});

Deno.test("conf: empty certificate answer ⇒ 'invalid or expired token'; bad answers leave no cert file", async () => {
  await withRegistry(async (registry, dir) => {
    await assert.rejects(
      register(options(registry, dir, { token: "zzzzzzzz" }), scripted([]).io),
      (e) => e instanceof ConfFailure && e.message === "invalid or expired token",
    );
    assert.deepEqual(files(dir), ["ca.crt", "cert.key"]);
    registry.wrongKey = true;
    await assert.rejects(
      register(options(registry, dir, { anonymous: true }), scripted([]).io),
      /the registry sent a certificate for another key/,
    );
    assert.deepEqual(files(dir), ["ca.crt", "cert.key"]);
    registry.anonymous = false;
    await assert.rejects(
      register(options(registry, dir, { anonymous: true }), scripted([]).io),
      /does not accept anonymous registrations/,
    );
  });
});

Deno.test("conf: --is-needed exits 0 when the network is not routed from inside it", async () => {
  await withRegistry(async (registry, dir) => {
    // 2001:db8:42::/48 is documentation space: never routed with a source inside it here.
    assert.equal(await register(options(registry, dir, { isNeeded: true }), scripted([]).io), 0);
    assert.deepEqual(files(dir), []);
  });
});

Deno.test("conf: --anonymous with --token and --req CN are refused with status 2", async () => {
  await withRegistry(async (registry, dir) => {
    const quiet = console.error;
    const errors: string[] = [];
    console.error = (m: string) => errors.push(m);
    try {
      const base = ["--registry", registry.url, "-d", dir];
      assert.equal(await run([...base, "--anonymous", "--token", "abcdefgh"]), 2);
      assert.equal(await run([...base, "--req", "CN", "x"]), 2);
    } finally {
      console.error = quiet;
    }
    assert.deepEqual(errors, [
      "command line: --anonymous conflicts with --token",
      "command line: option '--req': subject field 'CN' is reserved (set by the registry)",
    ]);
    assert.equal(registry.received.certificateRequests.length, 0);
  });
});

Deno.test("conf CLI: non-interactive run reads the token from stdin", async () => {
  await withRegistry(async (registry, dir) => {
    registry.tokens.add("qwertyui");
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const out = await tryRun([
      Deno.execPath(),
      "run",
      "-A",
      main,
      "conf",
      "--registry",
      registry.url,
      "--email",
      "a@example.org",
      "-d",
      dir,
    ], { stdin: "qwertyui\n" });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /A token has been sent to a@example\.org\./);
    assert.match(out.stdout, /Your subnet: 2001:db8:42:1::\/64 \(CN=1\/16\)/);
    assert.deepEqual(files(dir), ["ca.crt", "cert.crt", "cert.key", "re6stnet.conf"]);
  });
});
