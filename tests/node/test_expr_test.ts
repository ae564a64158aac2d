/**
 * `--test` expressions: parsing, Python semantics of evaluation, `sys.exit` statuses, bad input
 * (one clear line, status 2), and the real `re6st node --test` process.
 */
import assert from "node:assert/strict";
import { parseArgs } from "../../lib/config/cli.ts";
import { type NodeOptions, nodeSchema } from "../../lib/config/node_options.ts";
import { evaluate, exitOf, pyRepr, type PyValue } from "../../lib/node/test_expr/evaluate.ts";
import { ExpressionError, parseExpression } from "../../lib/node/test_expr/parse.ts";
import { evaluateTest } from "../../lib/node/test_option.ts";
import { createTestCa } from "../../lib/pki/testing.ts";
import { nodeCommand, writeNodeDir } from "./node_process.ts";

const NODE = ["--registry", "http://198.18.0.1/", "--ca", "c", "--cert", "n", "--key", "k"];

function options(extra: string[] = []): NodeOptions {
  const r = parseArgs(nodeSchema, [...NODE, ...extra]);
  if (!r.ok) throw new Error(r.stderr);
  return r.options;
}

function ev(text: string, names: Record<string, PyValue> = {}): PyValue {
  return evaluate(parseExpression(text), new Map(Object.entries(names)));
}

Deno.test("--test: Python semantics of operators and values", () => {
  assert.equal(ev("1 == True"), true);
  assert.equal(ev("0 == False and not 0"), true);
  assert.equal(ev("2 or 3"), 2n, "or returns an operand");
  assert.equal(ev("0 and 3"), 0n, "and returns an operand");
  assert.equal(ev("'' or None"), null);
  assert.equal(ev("1 < 2 < 3"), true);
  assert.equal(ev("1 < 3 < 2"), false, "chained comparison");
  assert.equal(ev("'ab' in 'xaby' and 'tcp' in ['udp', 'tcp'] and 3 not in (1, 2)"), true);
  assert.equal(ev("x is None and y is not None", { x: null, y: 0n }), true);
  assert.equal(
    ev("len(ip) == 2 and len('héllo') == 5", { ip: { kind: "list", items: ["a", "b"] } }),
    true,
  );
  assert.equal(ev("-3 < -0x2"), true);
  assert.equal(ev("'b' > 'abc' and (1, 2) < (1, 3) and [1] != (1,)"), true);
  assert.equal(ev("\"it's\" == 'it\\'s'"), true);
  assert.equal(pyRepr({ kind: "tuple", items: [1n] }), "(1,)");
  assert.equal(pyRepr({ kind: "list", items: ["a", null, true] }), "['a', None, True]");
});

Deno.test("--test: exit status is what Python's sys.exit(value) gives", () => {
  assert.deepEqual(exitOf(null), { status: 0 });
  assert.deepEqual(exitOf(false), { status: 0 });
  assert.deepEqual(exitOf(true), { status: 1 });
  assert.deepEqual(exitOf(3n), { status: 3 });
  assert.deepEqual(exitOf(256n), { status: 0 });
  assert.deepEqual(exitOf(-1n), { status: 255 });
  assert.deepEqual(exitOf("bad config"), { status: 1, stderr: "bad config" });
  assert.deepEqual(exitOf({ kind: "list", items: ["x"] }), { status: 1, stderr: "['x']" });
});

Deno.test("--test: option names as re6stnet spells them", () => {
  const o = options([
    "--client-count",
    "0",
    "--ip",
    "198.18.0.5",
    "-i",
    "eth1",
    "--pp",
    "1195",
    "tcp",
    "-B",
    "x",
  ]);
  assert.deepEqual(evaluateTest("client_count == 0 and max_clients is None", o), { status: 1 });
  assert.deepEqual(evaluateTest("not (client_count == 0 and max_clients is None)", o), {
    status: 0,
  });
  assert.deepEqual(evaluateTest("ip", o), { status: 1, stderr: "['198.18.0.5']" });
  assert.deepEqual(evaluateTest("pp == [(1195, 'tcp')]", o), { status: 1 });
  assert.deepEqual(evaluateTest("interface == ['eth1'] and babel_args == ['x']", o), {
    status: 1,
  });
  assert.deepEqual(evaluateTest("client", o), { status: 0 });
  assert.deepEqual(evaluateTest("registry", o), { status: 1, stderr: "http://198.18.0.1/" });
  assert.deepEqual(evaluateTest("main_interface != 'lo'", o), { status: 0 });
});

Deno.test("bad input: --test errors are one line with status 2", () => {
  for (
    const [expr, msg] of [
      ["nope == 1", "name 'nope' is not defined"],
      ["client_count < 1", "'<' not supported between instances of 'NoneType' and 'int'"],
      ["len(verbose)", "object of type 'int' has no len()"],
      ["open('x')", "unsupported function 'open'"],
      ["1 in 2", "argument of type 'int' is not iterable"],
    ]
  ) {
    const r = evaluateTest(expr, options());
    assert.equal(r.status, 2, expr);
    assert.ok(r.stderr!.includes(msg), `${expr}: ${r.stderr}`);
    assert.ok(!r.stderr!.includes("\n"));
  }
  for (
    const bad of [
      "",
      "1 +",
      "(1",
      "'abc",
      "__import__('os').system('x')",
      "a.b",
      "1 = 1",
      "01",
      "((((".repeat(3000),
    ]
  ) {
    assert.throws(() => parseExpression(bad), ExpressionError, JSON.stringify(bad.slice(0, 20)));
  }
  const r = parseArgs(nodeSchema, [...NODE, "--test", "1 ="]);
  assert.ok(!r.ok && r.status === 2);
  assert.match(r.stderr!, /^command line: option '--test': /);
});

Deno.test("re6st node --test exits with the value; --multicast is refused", async () => {
  const dir = await writeNodeDir(await createTestCa());
  try {
    const node6st = async (...extra: string[]) => {
      const r = await nodeCommand(dir, "http://198.18.0.1/", extra).output();
      return { code: r.code, stderr: new TextDecoder().decode(r.stderr) };
    };
    assert.equal((await node6st("--test", "max_clients is None")).code, 1);
    assert.equal((await node6st("--max-clients", "0", "--test", "max_clients")).code, 0);
    assert.equal((await node6st("--test", "7")).code, 7);
    const bad = await node6st("--test", "foo");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /name 'foo' is not defined/);
    const m = await node6st("-m");
    assert.equal(m.code, 2);
    assert.match(m.stderr, /--multicast is not supported: it needs the pim-dm daemon/);
    await Deno.writeTextFile(`${dir}/cert.crt`, "garbage");
    assert.equal((await node6st("--test", "0")).code, 1, "certificates are loaded first");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
