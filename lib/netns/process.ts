/**
 * Long-running programs started with a known PID (optionally inside a network namespace via
 * `ip netns exec`, which execs the program in place, so the child PID is the program's PID),
 * their stdout and stderr appended to a log file, and stopped by that PID only.
 */
import { inNamespace } from "./exec.ts";

/** A started program. */
export interface Proc {
  /** label used in logs */
  readonly name: string;
  readonly pid: number;
  /** namespace it runs in, if any */
  readonly ns?: string;
  /** file receiving its stdout and stderr */
  readonly logFile: string;
  /** resolves when it exits */
  readonly status: Promise<Deno.CommandStatus>;
  /** set once it has exited */
  exit?: Deno.CommandStatus;
}

/** Options of `spawnLogged`. */
export interface SpawnOptions {
  name: string;
  logFile: string;
  ns?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Starts `argv` with stdout and stderr appended to `opts.logFile`. */
export async function spawnLogged(argv: string[], opts: SpawnOptions): Promise<Proc> {
  const full = opts.ns ? inNamespace(opts.ns, argv) : argv;
  const open = () => Deno.open(opts.logFile, { write: true, create: true, append: true });
  const [out, err] = [await open(), await open()];
  const child = new Deno.Command(full[0], {
    args: full.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  }).spawn();
  const piping = Promise.all([pump(child.stdout, out), pump(child.stderr, err)]);
  const proc: { -readonly [K in keyof Proc]: Proc[K] } = {
    name: opts.name,
    pid: child.pid,
    ns: opts.ns,
    logFile: opts.logFile,
    status: child.status.then(async (s) => {
      await piping;
      proc.exit = s;
      return s;
    }),
  };
  return proc;
}

/** Copies a stream into a file chunk by chunk as it arrives, then closes the file. */
async function pump(from: ReadableStream<Uint8Array>, to: Deno.FsFile): Promise<void> {
  try {
    for await (const chunk of from) {
      for (let off = 0; off < chunk.length;) off += await to.write(chunk.subarray(off));
    }
  } catch {
    // the child's pipe broke: nothing more to copy
  } finally {
    to.close();
  }
}

/**
 * Stops `proc` by its PID: SIGTERM, then SIGKILL if it is still running after `graceMs`.
 * Returns its exit status; a process that already exited is left alone.
 */
export async function stopProcess(proc: Proc, graceMs = 3000): Promise<Deno.CommandStatus> {
  if (proc.exit) return proc.exit;
  signal(proc.pid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), graceMs);
  });
  const done = await Promise.race([proc.status, expired]);
  clearTimeout(timer);
  if (done) return done;
  signal(proc.pid, "SIGKILL");
  return await proc.status;
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone: its status promise resolves on its own
  }
}
