import assert from "node:assert/strict";
import { getVerbosity, setSink, setVerbosity } from "../../lib/log.ts";
import { ManagedProcess } from "../../lib/node/openvpn/process.ts";

Deno.test("stop: SIGTERM ends a well-behaved process", async () => {
  const p = new ManagedProcess(["sleep", "30"], "sleep");
  assert.ok(p.pid > 0);
  const s = await p.stop(5000);
  assert.equal(s.signal, "SIGTERM");
  assert.ok(p.done);
});

Deno.test("stop: SIGKILL after the grace period when SIGTERM is ignored", async () => {
  // The shell ignores TERM; its "ready" line (forwarded to the log) says the trap is set.
  const lines: string[] = [];
  const prevSink = setSink((l) => lines.push(l));
  const prevVerbosity = getVerbosity();
  setVerbosity(3);
  let p: ManagedProcess;
  try {
    p = new ManagedProcess(
      ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"],
      "stubborn",
    );
    const deadline = Date.now() + 5000;
    while (!lines.some((l) => l.endsWith("stubborn: ready")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(lines.some((l) => l.endsWith("stubborn: ready")), "process never got ready");
  } finally {
    setSink(prevSink);
    setVerbosity(prevVerbosity);
  }
  const t0 = Date.now();
  const s = await p.stop(300);
  assert.equal(s.signal, "SIGKILL");
  assert.ok(Date.now() - t0 >= 300);
});

Deno.test("exit is reported and stop after exit is harmless", async () => {
  const p = new ManagedProcess(["sh", "-c", "echo out; echo err >&2; exit 3"], "short");
  const s = await p.exited;
  assert.equal(s.code, 3);
  assert.equal((await p.stop()).code, 3);
});
