/**
 * Statement 23 end to end: the spec's demo community file with `prefix-length 13`; the real
 * `re6st conf --location CC,CONT` places machines in their community (honoured without a GeoIP
 * database), and an overlapping community file stops the registry at start.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { setVerbosity } from "../../lib/log.ts";
import { cnToBits } from "../../lib/wire/prefix.ts";
import { freePort, makeCa, registryArgs, RegistryProcess } from "./e2e_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
setVerbosity(0);

async function confAt(url: string, dir: string, location: string): Promise<string> {
  await Deno.mkdir(dir);
  const args = ["run", "-A", `${ROOT}main.ts`, "conf", "--registry", url, "--anonymous"];
  if (location) args.push("--location", location);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args, "-d", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const subject = new crypto.X509Certificate(await Deno.readTextFile(`${dir}/cert.crt`)).subject;
  return cnToBits(/CN=(\S+)/.exec(subject)![1]);
}

Deno.test("statement 23: communities by --location; overlapping files are refused", async () => {
  const ca = await makeCa();
  const communities = `${ca.dir}/community.conf`;
  await Deno.writeTextFile(communities, "# demo communities\n000 *\n001 @AS AU\n010 FR DE IT\n");
  const args = ["--anonymous-prefix-length", "13", "--community", communities];
  const reg = new RegistryProcess(ca, freePort(), args);
  await reg.start();
  try {
    const registryNode = await confAt(reg.url, `${ca.dir}/first`, "");
    assert.equal(registryNode.length, 16);
    assert.ok(registryNode.startsWith("000"), registryNode);
    const fr = await confAt(reg.url, `${ca.dir}/fr`, "FR,EU");
    assert.ok(fr.startsWith("010"), fr);
    const jp = await confAt(reg.url, `${ca.dir}/jp`, "JP,AS");
    assert.ok(jp.startsWith("001"), jp);
    const us = await confAt(reg.url, `${ca.dir}/us`, "US,NA");
    assert.ok(us.startsWith("000"), us);
    assert.notEqual(us, registryNode);
  } finally {
    await reg.kill("SIGTERM");
  }
  try {
    await Deno.writeTextFile(communities, "0 *\n01 FR\n");
    const bad = new Deno.Command(Deno.execPath(), {
      args: registryArgs(ca, freePort(), `${ca.dir}/other.db`, [
        "--community",
        communities,
        "--logfile",
        `${ca.dir}/bad.log`,
      ]),
      stdout: "piped",
      stderr: "piped",
    });
    const out = await bad.output();
    assert.notEqual(out.code, 0, "an overlapping community file is fatal");
    const said = new TextDecoder().decode(out.stderr) +
      await Deno.readTextFile(`${ca.dir}/bad.log`).catch(() => "");
    assert.match(said, /overlap|communit/i);
  } finally {
    await Deno.remove(ca.dir, { recursive: true });
  }
});
