/**
 * End-to-end robustness of the real `re6st registry` process: malformed input of every kind
 * never yields a 5xx, concurrent registrations get distinct prefixes, and a SIGKILL during a
 * burst of registrations leaves a consistent database.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { cnToBits } from "../../lib/wire/prefix.ts";
import {
  freePort,
  get,
  makeCa,
  makeNode,
  NodeSession,
  query,
  RegistryProcess,
  type TestCa,
  type TestNode,
} from "./e2e_helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function cnOf(pem: string): string {
  return /CN=([^\n,]+)/.exec(new crypto.X509Certificate(pem).subject)![1];
}

async function register(url: string, csr: string): Promise<{ status: number; pem: string }> {
  const a = await get(
    url,
    `/requestCertificate?${query([["token", ""], ["req", csr], ["location", ""], ["ip", ""]])}`,
  );
  return { status: a.status, pem: text(a.body) };
}

/** Checks the partition invariants of the `cert` table and the issued certificates. */
function checkConsistent(reg: RegistryProcess): string[] {
  const db = reg.openDb();
  try {
    assert.equal(
      (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check,
      "ok",
    );
    const rows = db.prepare("SELECT prefix, cert, serial, subject_serial FROM cert").all() as {
      prefix: string;
      cert: string | null;
      serial: string | null;
      subject_serial: number | null;
    }[];
    // the blocks partition the node space: no block inside another, sizes sum to the whole
    const sorted = rows.map((r) => r.prefix).sort();
    for (let i = 1; i < sorted.length; i++) {
      assert.ok(!sorted[i].startsWith(sorted[i - 1]), `${sorted[i - 1]} contains ${sorted[i]}`);
    }
    const total = sorted.reduce((s, p) => s + 2 ** -p.length, 0);
    assert.equal(total, 1);
    const certs = rows.filter((r) => r.cert && r.cert !== "reserved");
    for (const r of certs) assert.equal(cnToBits(cnOf(r.cert!)), r.prefix);
    const subjectSerials = certs.map((r) => r.subject_serial);
    assert.equal(new Set(subjectSerials).size, subjectSerials.length);
    const serials = certs.map((r) => BigInt(r.serial!));
    assert.equal(new Set(serials).size, serials.length);
    const counter = db.prepare("SELECT value FROM config WHERE name = 'serial'").get() as {
      value: number;
    } | undefined;
    for (const s of serials) assert.ok(s <= BigInt(counter!.value));
    return certs.map((r) => r.prefix);
  } finally {
    db.close();
  }
}

async function withRegistry(
  args: string[],
  fn: (reg: RegistryProcess, ca: TestCa) => Promise<void>,
): Promise<void> {
  const ca = await makeCa();
  const reg = new RegistryProcess(ca, freePort(), args);
  await reg.start();
  try {
    await fn(reg, ca);
  } finally {
    await reg.kill("SIGTERM");
    await Deno.remove(ca.dir, { recursive: true });
  }
}

Deno.test("malformed requests of every kind never get a 5xx and the registry keeps serving", async () => {
  await withRegistry(
    ["--anonymous-prefix-length", "16", "--mailhost", "/tmp/never-used.mbox"],
    async (reg, ca) => {
      const node = makeNode();
      const first = await register(reg.url, node.csr);
      assert.equal(first.status, 200);
      const prefix = cnToBits(cnOf(first.pem));
      const session = new NodeSession(reg.url, ca, node.key, prefix);
      await session.hello();
      const big = "A".repeat(20_000);
      const cases: [string, number, Record<string, string>?][] = [
        ["/", 400],
        ["/a/b", 400],
        ["//getCa", 400],
        ["/getCa/", 400],
        ["/nope", 400],
        ["/__proto__", 400],
        ["/constructor", 400],
        ["/toString", 400],
        ["/hasOwnProperty", 400],
        ["/getCa?x", 400],
        ["/getCa?=1", 400],
        ["/getCa?foo=bar", 400],
        ["/getCa?&", 400],
        ["/isToken", 400],
        ["/isToken?token=a&&x=1", 400],
        ["/isToken?token=%zz", 400],
        ["/isToken?token=%ff", 400],
        ["/isToken?token=a&token=b", 400],
        ["/isToken?token=a&extra=1", 400],
        ["/hello?client_prefix=abc", 400],
        ["/hello?client_prefix=01&protocol=x", 400],
        [`/hello?client_prefix=${"0".repeat(200)}`, 400],
        ["/hello?client_prefix=0101", 404],
        [`/getDh?cn=${prefix}`, 400], // session exists, no HMAC header
        [`/getDh?cn=${prefix}`, 400, { Re6stHMAC: "garbage" }],
        [`/getDh?cn=${prefix}`, 400, { Re6stHMAC: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" }],
        ["/getDh?cn=1111", 401],
        ["/getDh?cn=xyz", 401],
        ["/getNetworkConfig", 400],
        [`/requestCertificate?token=&req=garbage`, 400],
        [
          `/requestCertificate?token=&req=${
            encodeURIComponent(
              "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            )
          }`,
          400,
        ],
        [`/requestCertificate?token=&req=${big}`, 400],
        [`/requestCertificate?token=&req=${encodeURIComponent(makeNode(1024).csr)}`, 400],
        [`/requestCertificate?token=&req=${encodeURIComponent(first.pem)}`, 400],
        ["/requestCertificate?token=unknownx&req=x", 400],
        ["/requestToken?email=", 400],
        ["/requestToken?email=a%0d%0aBcc:x@y", 400],
        ["/revoke?cn_or_serial=abc", 400],
        ["/revoke?cn_or_serial=99999", 404],
        ["/revoke?cn_or_serial=5/2", 400],
        ["/revoke?cn_or_serial=1/200", 400],
        ["/addToken?email=x", 400],
        ["/addToken?email=a@b&token=%00", 400],
        [`/getCountry?cn=${prefix}&address=198.18.0.1`, 400],
      ]; // deno-fmt-ignore
      for (const [target, expected, headers] of cases) {
      const a = await get(reg.url, target, headers);
      assert.equal(a.status, expected, target.slice(0, 80));
    }
      for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
        const r = await fetch(`${reg.url}/getCa`, {
          method,
          body: method === "DELETE" ? undefined : "x",
        });
        await r.body?.cancel();
        assert.ok(r.status >= 400 && r.status < 500, `${method}: ${r.status}`);
      }
      // a raw request with a broken request line
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: reg.port });
      await conn.write(new TextEncoder().encode("GARBAGE\r\n\r\n"));
      const buf = new Uint8Array(1024);
      const n = await conn.read(buf);
      conn.close();
      assert.ok(n === null || !/^HTTP\/1\.[01] 5/.test(text(buf.subarray(0, n))));
      // the legitimate session still works after all that
      const c = await session.call("getDh");
      assert.ok(c.authentic);
      assert.equal((await get(reg.url, "/getCa")).status, 200);
    },
  );
});

Deno.test("CSRs with CN and serialNumber fields get both overwritten", async () => {
  await withRegistry(["--anonymous-prefix-length", "16"], async (reg) => {
    const n = makeNode(2048, [["O", "x"], ["CN", "1/1"], ["serialNumber", "77"]]);
    const r = await register(reg.url, n.csr);
    assert.equal(r.status, 200);
    const subject = new crypto.X509Certificate(r.pem).subject;
    assert.equal(subject, "O=x\nserialNumber=0\nCN=0/16");
  });
});

Deno.test("registration modes: 403 when disabled, 204 for unknown tokens", async () => {
  await withRegistry(["--prefix-length", "0"], async (reg) => {
    const n = makeNode();
    assert.equal((await register(reg.url, n.csr)).status, 403, "anonymous unset");
    assert.equal(
      (await get(reg.url, `/requestCertificate?${query([["token", "abcdefgh"], ["req", n.csr]])}`))
        .status,
      403,
    );
    assert.equal((await get(reg.url, "/requestToken?email=a@example.com")).status, 403);
    assert.equal((await get(reg.url, "/addToken?email=a@example.com&token=x")).status, 403);
  });
  await withRegistry([], async (reg) => {
    const n = makeNode();
    assert.equal(
      (await get(reg.url, "/requestToken?email=a@example.com")).status,
      403,
      "no mailhost",
    );
    assert.equal(
      (await get(reg.url, `/requestCertificate?${query([["token", "abcdefgh"], ["req", n.csr]])}`))
        .status,
      204,
    );
  });
});

Deno.test("50 concurrent registrations get 50 distinct prefixes and no 5xx", async () => {
  await withRegistry(["--anonymous-prefix-length", "16"], async (reg) => {
    const keys: TestNode[] = Array.from({ length: 5 }, () => makeNode());
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => register(reg.url, keys[i % 5].csr)),
    );
    assert.deepEqual(results.map((r) => r.status), Array(50).fill(200));
    const cns = results.map((r) => cnOf(r.pem));
    assert.equal(new Set(cns).size, 50);
    const prefixes = checkConsistent(reg);
    assert.equal(prefixes.length, 50);
  });
});

Deno.test("SIGKILL during a burst of registrations leaves a consistent database", async () => {
  const ca = await makeCa();
  const port = freePort();
  const args = ["--anonymous-prefix-length", "16"];
  let reg = new RegistryProcess(ca, port, args);
  await reg.start();
  const keys: TestNode[] = Array.from({ length: 4 }, () => makeNode());
  const issued: string[] = [];
  try {
    let stop = false;
    const workers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await register(reg.url, keys[(w + i) % 4].csr);
          if (r.status === 200) issued.push(cnOf(r.pem));
          else assert.ok(r.status < 500, `status ${r.status}`);
        } catch {
          return; // connection cut by the kill
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    await reg.kill("SIGKILL");
    stop = true;
    await Promise.all(workers);
    assert.ok(issued.length > 0, "some certificates were issued before the kill");
    reg = new RegistryProcess(ca, port, args);
    await reg.start();
    const stored = checkConsistent(reg);
    // every certificate a client received is in the database
    for (const cn of issued) assert.ok(stored.includes(cnToBits(cn)), cn);
    for (let i = 0; i < 10; i++) {
      const r = await register(reg.url, keys[i % 4].csr);
      assert.equal(r.status, 200);
      issued.push(cnOf(r.pem));
    }
    assert.equal(new Set(issued).size, issued.length, "no prefix issued twice");
    checkConsistent(reg);
  } finally {
    await reg.kill("SIGTERM");
    await Deno.remove(ca.dir, { recursive: true });
  }
});
