/**
 * Runs short-lived system commands (ip, iptables, nft, sysctl, ping), optionally inside a
 * network namespace, and reports their output. Long-running programs go through `process.ts`.
 */

/** What a finished command printed and how it ended. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Prefixes `argv` so that it runs inside network namespace `ns` (`ip netns exec`). */
export function inNamespace(ns: string, argv: string[]): string[] {
  return ["ip", "netns", "exec", ns, ...argv];
}

/** Runs `argv` (in `ns` when given) to completion and returns its status and output. */
export async function tryRun(
  argv: string[],
  opts: { ns?: string; stdin?: string } = {},
): Promise<CommandResult> {
  const full = opts.ns ? inNamespace(opts.ns, argv) : argv;
  const cmd = new Deno.Command(full[0], {
    args: full.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Like `tryRun` but throws a clear error (command, status, stderr) when it fails. */
export async function run(
  argv: string[],
  opts: { ns?: string; stdin?: string } = {},
): Promise<string> {
  const r = await tryRun(argv, opts);
  if (r.code !== 0) {
    const where = opts.ns ? ` (in ${opts.ns})` : "";
    throw new Error(`\`${argv.join(" ")}\`${where} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}
