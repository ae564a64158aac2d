/**
 * Minimal namespace helpers for the firewall test (TESTNET.md rules: per-run name prefix,
 * leftovers of the same prefix removed first, processes killed by PID, bounded waits).
 */

/** Runs a command; throws with its stderr if it fails. Returns stdout. */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Runs a command inside namespace `ns`. */
export function inNs(ns: string, cmd: string, ...args: string[]): Promise<string> {
  return sh("ip", "netns", "exec", ns, cmd, ...args);
}

/** Deletes every namespace whose name starts with `prefix`. */
export async function removeNamespaces(prefix: string): Promise<void> {
  const list = await sh("ip", "netns", "list");
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0];
    if (name.startsWith(prefix)) await sh("ip", "netns", "del", name).catch(() => {});
  }
}

/** A long-running process inside a namespace, started with a known PID. */
export interface NsProcess {
  pid: number;
  kill(): Promise<void>;
}

/** Starts `cmd` in `ns` and waits (bounded) until its stdout prints `readyLine` (if not ""). */
export async function startInNs(
  ns: string,
  readyLine: string,
  timeoutMs: number,
  cmd: string,
  ...args: string[]
): Promise<NsProcess> {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, cmd, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const proc: NsProcess = {
    pid: child.pid,
    async kill() {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
  if (readyLine === "") {
    child.stdout.cancel().catch(() => {});
    return proc;
  }
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new Error(`${cmd}: no '${readyLine}' within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    while (!seen.includes(readyLine)) {
      const { value, done } = await Promise.race([reader.read(), deadline]);
      if (done) throw new Error(`${cmd} exited before '${readyLine}'`);
      seen += value;
    }
  } catch (e) {
    await proc.kill();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return proc;
}
