import assert from "node:assert/strict";
import { findLeftovers, killLeftovers } from "../../lib/node/leftovers.ts";

/** A long-running process whose argv[0] is `<dir>/<name>` and which names `arg`. */
function fake(dir: string, name: string, arg: string): Deno.ChildProcess {
  Deno.symlinkSync("/bin/sh", `${dir}/${name}`);
  return new Deno.Command(`${dir}/${name}`, {
    args: ["-c", "sleep 30", arg],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("babeld/openvpn naming our run directory are found and killed; others are left", async () => {
  const dir = await Deno.makeTempDir();
  const run = `${dir}/run`;
  await Deno.mkdir(run);
  await Deno.mkdir(`${dir}/a`);
  await Deno.mkdir(`${dir}/b`);
  await Deno.mkdir(`${dir}/c`);
  const babeld = fake(`${dir}/a`, "babeld", `${run}/babeld.sock`);
  const other = fake(`${dir}/b`, "babeld", `${dir}/elsewhere/babeld.sock`);
  const notOurs = fake(`${dir}/c`, "sleeper", `${run}/babeld.sock`);
  try {
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(findLeftovers(run), [babeld.pid]);
    assert.equal(await killLeftovers(run), 1);
    assert.equal((await babeld.status).signal, "SIGKILL");
    assert.deepEqual(findLeftovers(run), []);
  } finally {
    for (const p of [babeld, other, notOurs]) {
      try {
        p.kill("SIGKILL");
      } catch { /* gone */ }
      await p.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
