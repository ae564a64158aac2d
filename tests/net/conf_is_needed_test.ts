/**
 * `re6st conf --is-needed` in a network namespace whose routing table already routes the
 * re6st network 2001:db8:42::/48 from an address inside it (what a running node sets up):
 * re6st is not needed, exit status 1. Follows TESTNET.md (closed namespace, per-run prefix,
 * kill by PID, delete in finally, bounded waits).
 */
import assert from "node:assert/strict";
import { LineReader } from "../../lib/conf/line_reader.ts";

const PREFIX = "r6conf-";
const root = new URL("../../", import.meta.url).pathname;

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Deletes namespaces of earlier runs of this test whose process is gone. */
async function cleanLeftovers(): Promise<void> {
  const out = await new Deno.Command("ip", { args: ["netns", "list"] }).output();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const name = line.split(" ")[0];
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length)) : NaN;
    if (pid && pid !== Deno.pid) {
      try {
        Deno.statSync(`/proc/${pid}`);
      } catch {
        await ip("netns", "del", name);
      }
    }
  }
}

Deno.test("conf --is-needed exits 1 where the network is already routed from inside it", async () => {
  if (Deno.uid() !== 0) {
    console.log("skipped: needs root to create a network namespace");
    return;
  }
  await cleanLeftovers();
  const ns = `${PREFIX}${Deno.pid}`;
  let registry: Deno.ChildProcess | undefined;
  const dir = Deno.makeTempDirSync({ prefix: "re6st-conf-" });
  await ip("netns", "add", ns);
  try {
    await ip("-n", ns, "link", "set", "lo", "up");
    await ip("-n", ns, "-6", "addr", "add", "2001:db8:42:1::1/64", "dev", "lo");
    await ip(
      "-n",
      ns,
      "-6",
      "route",
      "add",
      "2001:db8:42::/48",
      "dev",
      "lo",
      "src",
      "2001:db8:42:1::1",
    );

    registry = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        ns,
        Deno.execPath(),
        "run",
        "-A",
        `${root}tests/conf/test_registry.ts`,
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const lines = new LineReader(registry.stdout);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const url = await Promise.race([
      lines.readLine(),
      new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), 20_000)),
    ]);
    clearTimeout(timer);
    lines.release();
    if (!url?.startsWith("http://127.0.0.1:")) throw new Error(`test registry did not start`);

    const conf = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        ns,
        Deno.execPath(),
        "run",
        "-A",
        `${root}main.ts`,
        "conf",
        "--registry",
        url,
        "--is-needed",
        "-d",
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    });
    const out = await conf.output();
    assert.equal(out.code, 1, new TextDecoder().decode(out.stderr));
    assert.match(
      new TextDecoder().decode(out.stdout),
      /2001:db8:42::\/48 is already routed from 2001:db8:42:1::1: re6st is not needed here/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "--is-needed writes nothing");
  } finally {
    if (registry) {
      try {
        registry.kill("SIGKILL");
      } catch { /* already gone */ }
      await registry.stdin.close().catch(() => {});
      await registry.status;
    }
    await ip("netns", "del", ns);
    Deno.removeSync(dir, { recursive: true });
  }
});
