/**
 * `lib/embedded.ts` resolves `embedded/` against its own module URL, so the same call works
 * under `deno run` from any working directory, in a bundle laid out like the checkout
 * (`dist/x.js` beside `embedded/`), and — by the same rule — in a `deno compile --include
 * embedded` binary, whose virtual file system keeps that layout (not buildable here: deno
 * compile needs a download).
 */
import { strict as assert } from "node:assert";
import { embeddedUrl, readEmbeddedText } from "../../lib/embedded.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("readEmbeddedText reads files of embedded/", async () => {
  assert.equal(
    await readEmbeddedText("systemd/re6st-node.service"),
    await Deno.readTextFile(new URL("embedded/systemd/re6st-node.service", ROOT)),
  );
  assert.equal(embeddedUrl("install.sh").href, new URL("embedded/install.sh", ROOT).href);
});

Deno.test("embedded names that leave embedded/ or do not exist give clear errors", async () => {
  for (const bad of ["", "../main.ts", "a/../../x", "/etc/passwd", "a//b", "./install.sh"]) {
    assert.throws(() => embeddedUrl(bad), /invalid embedded file name/, bad);
  }
  await assert.rejects(readEmbeddedText("nope.txt"), /embedded file 'nope.txt' not found/);
});

async function runText(args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("same result from another working directory and from a bundle", async () => {
  const expected = await readEmbeddedText("systemd/re6st-node.service");
  const dir = await Deno.makeTempDir({ prefix: "re6st-embedded-" });
  try {
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(
      entry,
      `import { readEmbeddedText } from ${
        JSON.stringify(new URL("lib/embedded.ts", ROOT).href)
      };\n` +
        `await Deno.stdout.write(new TextEncoder().encode(await readEmbeddedText("systemd/re6st-node.service")));\n`,
    );
    assert.equal(await runText(["run", "--allow-read", entry], "/"), expected);

    // A bundle in <dir>/dist with a copy of embedded/ beside it, run from "/".
    await runText(["bundle", "-q", entry, "-o", `${dir}/dist/re6st.js`], dir);
    await Deno.mkdir(`${dir}/embedded/systemd`, { recursive: true });
    await Deno.writeTextFile(`${dir}/embedded/systemd/re6st-node.service`, "bundled copy\n");
    assert.equal(
      await runText(["run", "--allow-read", `${dir}/dist/re6st.js`], "/"),
      "bundled copy\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
