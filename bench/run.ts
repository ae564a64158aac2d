/**
 * `deno task bench [name] [args…]`: runs one benchmark of this folder, or lists them.
 * Benchmarks report numbers (medians with min/max); none is a pass/fail test.
 */

const BENCHES: Record<string, { file: string; what: string }> = {
  registry: {
    file: "registry_bench.ts",
    what: "registry requests/s (certificates, HMAC-chained calls), malformed load, RSS",
  },
  pki: { file: "pki_issue.ts", what: "certificate issuing throughput of lib/pki on one core" },
  peer: {
    file: "peer_sessions.ts",
    what: "peer protocol handshakes, per-datagram cost, memory per session",
  },
  node: {
    file: "node_bench.ts",
    what: "router topology: cold start and restart to all-pairs ping6, node RSS (root)",
  },
  recovery: {
    file: "recovery_bench.ts",
    what: "router topology: node kill, tunnel cut, server kill, registry outage (root)",
  },
  sim: { file: "sim_bench.ts", what: "simulator wall time and peak RSS for 1k/10k/100k nodes" },
};

const [name, ...rest] = Deno.args;
if (!name || !(name in BENCHES)) {
  if (name) console.error(`unknown benchmark '${name}'`);
  console.log("usage: deno task bench <name> [args…]\n");
  for (const [n, b] of Object.entries(BENCHES)) console.log(`  ${n.padEnd(9)} ${b.what}`);
  Deno.exit(name ? 2 : 0);
}
const file = new URL(BENCHES[name].file, import.meta.url).pathname;
const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", file, ...rest],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
});
Deno.exit((await child.output()).code);
