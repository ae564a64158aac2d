/**
 * Registry throughput on loopback with an RSA-2048 CA (TARGETS.md): a real `re6st registry`
 * process, 4 concurrent clients.
 * - anonymous `requestCertificate` with ready-made CSRs (certificates/s);
 * - authenticated `getNetworkConfig` (one `hello`, then the HMAC chain) (calls/s);
 * - 600 malformed requests of every kind (answers ≥ 500, dropped connections);
 * - RSS of the registry process afterwards.
 * Each throughput figure is the median of several runs, with min and max.
 * Usage: deno run -A bench/registry_bench.ts [runs=5] [requests-per-run=400]
 */
import crypto from "node:crypto";
import { createCsr } from "../lib/pki/csr.ts";
import { generateRsaKey } from "../lib/pki/keys.ts";
import { createTestCa } from "../lib/pki/testing.ts";
import { dhParamsPem } from "../lib/pki/dh.ts";
import { freePort, get as getAnswer, registryArgs } from "../tests/registry/e2e_helpers.ts";

const RUNS = Number(Deno.args[0] ?? 5);
const PER_RUN = Number(Deno.args[1] ?? 400);
const CLIENTS = 4;

const dir = await Deno.makeTempDir({ prefix: "re6st-registry-bench-" });
const ca = await createTestCa();
const files = { caPath: `${dir}/ca.crt`, keyPath: `${dir}/ca.key`, dhPath: `${dir}/dh.pem` };
await Deno.writeTextFile(files.caPath, ca.certPem);
await Deno.writeTextFile(files.keyPath, ca.keyPem);
await Deno.writeTextFile(files.dhPath, dhParamsPem());
const port = freePort();
const url = `http://127.0.0.1:${port}`;

const child = new Deno.Command(Deno.execPath(), {
  args: registryArgs(files, port, `${dir}/registry.db`, [
    "-l",
    `${dir}/registry.log`,
    "-v",
    "1",
    "--anonymous-prefix-length",
    "24",
  ]),
  stdout: "null",
  stderr: "inherit",
}).spawn();

/** RSS of the registry, and its anonymous part (RSS minus mapped files: the Deno binary). */
async function rssMiB(): Promise<{ total: number; anon: number }> {
  const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)![1]);
  return { total: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024 };
}

function mib(r: { total: number; anon: number }): string {
  return `${r.total.toFixed(1)} MiB (anonymous ${r.anon.toFixed(1)})`;
}

/** GET `target` on the registry. */
const get = (target: string, headers: Record<string, string> = {}) =>
  getAnswer(url, target, headers);

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(0);
  return `median ${f(s[Math.floor(s.length / 2)])} (min ${f(s[0])}, max ${f(s.at(-1)!)})`;
}

/** Runs `n` calls of `call` spread over `CLIENTS` concurrent loops; returns calls/s. */
async function rate(n: number, call: (client: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = c; i < n; i += CLIENTS) await call(c);
  }));
  return n / ((performance.now() - start) / 1000);
}

try {
  for (let t = 0;; t++) {
    try {
      if ((await get("/getCa")).status === 200) break;
    } catch { /* starting */ }
    if (t > 200) throw new Error("registry did not start");
    await new Promise((r) => setTimeout(r, 100));
  }

  const rssIdle = await rssMiB();
  // Ready-made CSRs (one per client key).
  const keys = await Promise.all(Array.from({ length: CLIENTS }, () => generateRsaKey(2048)));
  const targets = keys.map((k) =>
    `/requestCertificate?token=&req=${
      encodeURIComponent(createCsr(k, [["O", "bench"]]))
    }&location=&ip=`
  );
  const certRates: number[] = [];
  const pems: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    certRates.push(
      await rate(PER_RUN, async (c) => {
        const a = await get(targets[c]);
        if (a.status !== 200) throw new Error(`requestCertificate: ${a.status}`);
        pems[c] ??= new TextDecoder().decode(a.body);
      }),
    );
  }

  const rssCerts = await rssMiB();
  // One session per client: hello once, then follow the HMAC chain.
  const sessions = pems.map((pem, c) => {
    const cn = /CN=(\S+)/.exec(new crypto.X509Certificate(pem).subject)![1];
    const [v, len] = cn.split("/").map(BigInt);
    return {
      prefix: v.toString(2).padStart(Number(len), "0"),
      key: keys[c],
      secret: new Uint8Array(),
    };
  });
  for (const s of sessions) {
    const a = await get(`/hello?client_prefix=${s.prefix}&protocol=10`);
    const e = a.body.subarray(0, a.body.length / 2);
    s.secret = new Uint8Array(crypto.privateDecrypt(
      { key: s.key, padding: crypto.constants.RSA_PKCS1_PADDING },
      e,
    ));
  }
  const callRates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    callRates.push(
      await rate(PER_RUN * 5, async (c) => {
        const s = sessions[c];
        const target = `/getNetworkConfig?cn=${s.prefix}`;
        const tag = crypto.createHmac("sha1", s.secret).update(target).digest("base64");
        const a = await get(target, { Re6stHMAC: tag });
        const k1 = crypto.createHash("sha1").update(s.secret).digest();
        if (
          a.status !== 200 ||
          a.headers.get("Re6stHMAC") !==
            crypto.createHmac("sha1", k1).update(a.body).digest("base64")
        ) throw new Error(`getNetworkConfig: ${a.status}`);
        s.secret = new Uint8Array(crypto.createHash("sha1").update(k1).digest());
      }),
    );
  }

  const rssCalls = await rssMiB();
  // 600 malformed requests of every kind.
  const bad = [
    "/",
    "/a/b",
    "/nope",
    "/__proto__",
    "/getCa?x",
    "/getCa?=1",
    "/isToken",
    "/isToken?token=%zz",
    "/isToken?token=a&token=b",
    "/hello?client_prefix=abc",
    `/getDh?cn=${sessions[0].prefix}`,
    "/getDh?cn=0101",
    "/requestCertificate?token=&req=garbage",
    "/revoke?cn_or_serial=abc",
    `/requestCertificate?token=&req=${"A".repeat(12000)}`,
    "/requestToken?email=",
  ]; // deno-fmt-ignore
  let fivexx = 0, dropped = 0;
  await rate(600, async () => {
    const target = bad[Math.floor(Math.random() * bad.length)];
    try {
      const a = await get(target, { Re6stHMAC: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" });
      if (a.status >= 500) fivexx++;
    } catch {
      dropped++;
    }
  });
  const alive = (await get("/getCa")).status === 200;

  const rss = await rssMiB();

  console.log(`registry bench (RSA-2048 CA, ${CLIENTS} clients, ${RUNS} runs):`);
  console.log(`  requestCertificate: ${stats(certRates)} certificates/s  [target ≥ 330]`);
  console.log(`  hello + getNetworkConfig chain: ${stats(callRates)} calls/s  [target ≥ 2000]`);
  console.log(
    `  600 malformed: ${fivexx} answers ≥ 500, ${dropped} dropped, still serving: ${alive}`,
  );
  console.log(`  RSS after: ${mib(rss)}  [target ≤ 60]`);
  console.log(
    `    idle ${mib(rssIdle)}, after certificates ${mib(rssCerts)}, after calls ${mib(rssCalls)}`,
  );
} finally {
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dir, { recursive: true });
}
