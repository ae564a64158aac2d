/**
 * The admin page in a real headless Chromium (Debian's, driven by playwright-core; never a
 * downloaded browser) against the real `re6st registry`: create a token on the page, register
 * a machine with the real `re6st conf --token`, see it listed, revoke it through the
 * confirmation step, and find its serial in the CRL of the next `getNetworkConfig`.
 * Set RE6ST_ADMIN_SCREENSHOT=path.png to keep a screenshot of the page with the node listed.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { chromium } from "playwright-core";
import { RegistryClient } from "../../lib/registry/client.ts";
import { setVerbosity } from "../../lib/log.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { freePort, makeCa, RegistryProcess } from "./e2e_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
setVerbosity(0);

/** `re6st conf ARGS -d dir`; returns the CN and serial of the certificate it wrote. */
async function conf(dir: string, args: string[]): Promise<{ cn: string; serial: bigint }> {
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "conf", ...args, "-d", dir],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const cert = new crypto.X509Certificate(await Deno.readTextFile(`${dir}/cert.crt`));
  return { cn: /CN=(\S+)/.exec(cert.subject)![1], serial: BigInt(`0x${cert.serialNumber}`) };
}

Deno.test("admin page in Chromium: token → re6st conf → node listed → revoked → CRL", async () => {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    console.log(`skipping: ${CHROMIUM} is not installed (scripts/setup.sh installs it as root)`);
    return;
  }
  const ca = await makeCa();
  const reg = new RegistryProcess(ca, freePort(), ["--anonymous-prefix-length", "16"]);
  await reg.start();
  const profile = await Deno.makeTempDir({ prefix: "re6st-chromium-" });
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1100, height: 900 },
  });
  try {
    // The registry's own node comes first (it is never revocable from the page).
    const registryNode = await conf(`${ca.dir}/registry-node`, [
      "--registry",
      reg.url,
      "--anonymous",
    ]);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

    await page.goto(`${reg.url}/admin`);
    assert.equal(await page.title(), "re6st registry — admin");
    assert.match(await page.locator("#topology").innerText(), /No topology/);
    await page.fill("#create-token input[name=email]", "alice@example.com");
    await page.click("#create-token button[type=submit]");
    const notice = await page.locator(".notice.ok").innerText();
    const token = /Token ([a-z]+) created for alice@example\.com/.exec(notice)?.[1];
    assert.ok(token, notice);
    assert.equal(new URL(page.url()).pathname, "/admin");
    assert.equal(await page.locator(`tr[data-token="${token}"] td`).first().innerText(), token);

    const machine = await conf(`${ca.dir}/machine`, ["--registry", reg.url, "--token", token]);
    await page.reload();
    assert.equal(await page.locator(".notice").count(), 0, "the reload re-posted nothing");
    const row = page.locator(`tr[data-cn="${machine.cn}"]`);
    assert.match(await row.innerText(), /alice@example\.com/);
    assert.match(await row.innerText(), new RegExp(`\\b${machine.serial}\\b`));
    assert.equal(await page.locator(`tr[data-token="${token}"]`).count(), 0, "token used up");

    // Sorting by X.509 serial, descending on the second click: the machine comes first.
    const serialHeader = page.locator("#nodes th button", { hasText: "X.509 serial" });
    await serialHeader.click();
    await serialHeader.click();
    assert.equal(
      await page.locator("#nodes tbody tr").first().getAttribute("data-cn"),
      machine.cn,
    );
    const shot = Deno.env.get("RE6ST_ADMIN_SCREENSHOT");
    if (shot) await page.screenshot({ path: shot, fullPage: true });

    await row.locator("a.revoke").click();
    const confirm = page.locator("#confirm-revoke");
    assert.match(await confirm.innerText(), new RegExp(`Revoke ${machine.cn}\\?`));
    await confirm.locator("button[type=submit]").click();
    assert.match(await page.locator(".notice.ok").innerText(), /revoked/);
    assert.equal(await page.locator(`tr[data-cn="${machine.cn}"]`).count(), 0);
    assert.equal(await page.locator(`tr[data-cn="${registryNode.cn}"]`).count(), 1);
    assert.deepEqual(errors, [], "no script or CSP error in the page");

    const client = new RegistryClient({
      url: reg.url,
      session: {
        ca: ca.caPem,
        key: await Deno.readTextFile(`${ca.dir}/registry-node/cert.key`),
        prefix: cnToBits(registryNode.cn),
      },
    });
    const cfg = await client.fetchNetworkConfig();
    assert.ok(cfg, client.lastFailure);
    assert.deepEqual(cfg.crl, [Number(machine.serial)]);
  } finally {
    await browser.close();
    await reg.kill("SIGTERM");
    await Deno.remove(profile, { recursive: true });
    await Deno.remove(ca.dir, { recursive: true });
  }
});
