import assert from "node:assert/strict";
import { DEFAULT_RUN_DIR, parseStatusArgs } from "../../lib/status/args.ts";

/** A FileReader over an in-memory set of files. */
function files(map: Record<string, string>) {
  return (path: string) => {
    if (!(path in map)) throw new Deno.errors.NotFound(path);
    return { id: path, text: map[path] };
  };
}

const CONF = [
  "# re6stnet.conf as written by re6st conf",
  "registry http://198.18.1.100/",
  "ca /etc/re6stnet/ca.crt",
  "cert /etc/re6stnet/cert.crt",
  "key /etc/re6stnet/cert.key",
  "run /srv/re6st/run",
  "pp 1194 tcp",
  "O--verb",
  "O3",
].join("\n");

Deno.test("status args: default run directory, --run, --json, --metrics", () => {
  const r0 = parseStatusArgs([]);
  assert.deepEqual(r0, {
    ok: true,
    options: { run: DEFAULT_RUN_DIR, json: false, metrics: false },
  });
  assert.deepEqual(parseStatusArgs(["--run", "/tmp/r", "--json"]), {
    ok: true,
    options: { run: "/tmp/r", json: true, metrics: false },
  });
  assert.deepEqual(parseStatusArgs(["--run=/tmp/r", "--metrics"]), {
    ok: true,
    options: { run: "/tmp/r", json: false, metrics: true },
  });
});

Deno.test("status args: the run directory comes from the node's config file", () => {
  const read = files({ "re6stnet.conf": CONF, "bare.conf": "registry http://198.18.1.100/\n" });
  const r = parseStatusArgs(["@re6stnet.conf", "--json"], read);
  assert.deepEqual(r, { ok: true, options: { run: "/srv/re6st/run", json: true, metrics: false } });
  // the command line wins over the file, wherever it is
  const r2 = parseStatusArgs(["--run", "/x", "@re6stnet.conf"], read);
  assert.ok(r2.ok && r2.options.run === "/x");
  // a config without `run` means the node's default
  const r3 = parseStatusArgs(["@bare.conf"], read);
  assert.ok(r3.ok && r3.options.run === DEFAULT_RUN_DIR);
});

Deno.test("status args: bad input gives one clear line and status 2", () => {
  const read = files({ "bad.conf": "run\n", "odd.conf": "no-such-option 1\n" });
  const cases: Array<[string[], RegExp]> = [
    [["--bogus"], /unknown option '--bogus'/],
    [["--run"], /option '--run' expects a value/],
    [["--json", "--metrics"], /--json and --metrics exclude each other/],
    [["extra"], /unexpected argument 'extra'/],
    [["@missing.conf"], /cannot read 'missing.conf': no such file/],
    [["@bad.conf"], /bad.conf:1: option 'run' expects a value/],
    [["@odd.conf"], /odd.conf:1: unknown option 'no-such-option'/],
  ];
  for (const [args, re] of cases) {
    const r = parseStatusArgs(args, read);
    assert.ok(!r.ok, args.join(" "));
    assert.equal(r.status, 2);
    assert.match(r.stderr!, re);
  }
  const help = parseStatusArgs(["--help"]);
  assert.ok(!help.ok && help.status === 0 && help.stdout!.includes("--metrics"));
});
