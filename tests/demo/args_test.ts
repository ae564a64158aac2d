/** `re6st demo` command line and its output directory (the demo itself runs in tests/net). */
import assert from "node:assert/strict";
import { makeOutDir, parseDemoArgs } from "../../lib/demo/args.ts";

Deno.test("demo arguments: defaults, --out, --help and bad input", () => {
  assert.deepEqual(parseDemoArgs([]), {
    help: false,
    options: { duration: undefined, hello: 4, out: undefined, keep: false },
  });
  assert.deepEqual(
    parseDemoArgs(["--duration", "30", "--hello", "2", "--out", "graphs", "--keep"]),
    { help: false, options: { duration: 30, hello: 2, out: "graphs", keep: true } },
  );
  assert.deepEqual(parseDemoArgs(["-h"]), { help: true });
  for (
    const [bad, reason] of [
      [["--duration=-1"], /positive numbers/],
      [["--duration", "-1"], /--duration/],
      [["--hello", "0"], /positive numbers/],
      [["--hello", "x"], /positive numbers/],
      [["--out", ""], /--out needs a directory/],
      [["--out"], /--out/],
      [["--frobnicate"], /frobnicate/],
    ] as const
  ) {
    const r = parseDemoArgs([...bad]);
    assert.ok("error" in r, bad.join(" "));
    assert.match(r.error, reason);
  }
});

Deno.test("demo output directory: --out is created; by default a new readable temp dir", async () => {
  const base = await Deno.makeTempDir({ prefix: "re6st-demo-test-" });
  const made: string[] = [];
  try {
    const given = `${base}/a/b`;
    assert.equal(await makeOutDir(given), given);
    assert.ok((await Deno.stat(given)).isDirectory);
    assert.equal(await makeOutDir(given), given, "an existing directory is fine");

    for (let i = 0; i < 2; i++) made.push(await makeOutDir(undefined));
    assert.notEqual(made[0], made[1], "one directory per run");
    for (const dir of made) {
      assert.ok(dir.startsWith(`${Deno.env.get("TMPDIR") ?? "/tmp"}/re6st-demo-out-`), dir);
      assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o755);
    }

    await Deno.writeTextFile(`${base}/file`, "");
    await assert.rejects(makeOutDir(`${base}/file`), Deno.errors.AlreadyExists);
  } finally {
    for (const dir of [base, ...made]) await Deno.remove(dir, { recursive: true });
  }
});
