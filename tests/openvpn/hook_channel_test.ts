import assert from "node:assert/strict";
import { HookChannel, parseHookLine, type RouteUp } from "../../lib/node/openvpn/hook_channel.ts";
import { installHooks, shellQuote, upHookScript } from "../../lib/node/openvpn/hooks.ts";

Deno.test("parseHookLine reads a route-up report", () => {
  assert.deepEqual(parseHookLine("route-up\t1234\tre6stnet1\t1/16\t1001\t198.18.0.2"), {
    pid: 1234,
    dev: "re6stnet1",
    cn: "1/16",
    serial: 1001n,
    externalIp: "198.18.0.2",
  });
  const noPush = parseHookLine("route-up\t1234\tre6stnet1\t1/16\t1001\t");
  assert.ok(typeof noPush === "object" && noPush.externalIp === undefined);
});

Deno.test("parseHookLine rejects garbage with a reason", () => {
  for (
    const line of [
      "",
      "hello",
      "route-up",
      "route-up\t1\tre6stnet1\t1/16\t1001",
      "route-up\t1\tre6stnet1\t1/16\t1001\tx\ty",
      "route-up\tx\tre6stnet1\t1/16\t1001\t",
      "route-up\t0\tre6stnet1\t1/16\t1001\t",
      "route-up\t1\tbad dev/\t1/16\t1001\t",
      "route-up\t1\tre6stnet1\t\t1001\t",
      "route-up\t1\tre6stnet1\t1/16\t-5\t",
    ]
  ) assert.equal(typeof parseHookLine(line), "string", line);
  const hostile = parseHookLine("route-up\t1\tre6stnet1\t1/16\t5\t1.2.3.4; rm -rf /");
  assert.ok(typeof hostile === "object" && hostile.externalIp === undefined);
});

Deno.test("shellQuote survives quotes", async () => {
  const s = `a'b "c" $d`;
  const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shellQuote(s)}`] }).output();
  assert.equal(new TextDecoder().decode(out.stdout), s);
  assert.match(upHookScript(), /ip link set dev "\$1" up mtu "\$2"/);
});

Deno.test("the real route-up hook reports through the FIFO; garbage there is dropped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "re6st-hooks-" });
  const got: RouteUp[] = [];
  const hooks = await installHooks(`${dir}/run dir's`);
  assert.equal((await Deno.stat(hooks.routeUp)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(`${dir}/run dir's`)).mode! & 0o777, 0o700);
  const channel = await HookChannel.open(hooks.fifo, (e) => got.push(e));
  try {
    // Garbage first: an overlong line, binary, a wrong line; then a real hook run.
    const junk = await new Deno.Command("sh", {
      args: [
        "-c",
        `head -c 9000 /dev/zero | tr '\\0' x > "$0"; printf 'garbage\\n\\377\\n' > "$0"`,
        hooks.fifo,
      ],
    }).output();
    assert.ok(junk.success);
    const run = await new Deno.Command(hooks.routeUp, {
      env: {
        dev: "re6stnet2",
        common_name: "3/16",
        tls_serial_0: "1003",
        OPENVPN_external_ip: "198.18.0.9",
      },
    }).output();
    assert.ok(run.success, new TextDecoder().decode(run.stderr));
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 1);
    assert.equal(got[0].pid, Deno.pid); // $PPID of the hook is its caller (OpenVPN in real life)
    assert.deepEqual({ ...got[0], pid: 0 }, {
      pid: 0,
      dev: "re6stnet2",
      cn: "3/16",
      serial: 1003n,
      externalIp: "198.18.0.9",
    });
  } finally {
    await channel.close();
    await Deno.remove(dir, { recursive: true });
  }
});
