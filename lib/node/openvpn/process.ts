/**
 * One running OpenVPN (or any helper) process: known PID, output forwarded to the log,
 * exit reported, and stop = SIGTERM then SIGKILL after a grace period (spec §10.7).
 */
import { type Logger, logger } from "../../log.ts";

/** Grace period between SIGTERM and SIGKILL (spec §10.7). */
export const STOP_GRACE_MS = 5000;

/** A spawned process. */
export class ManagedProcess {
  readonly pid: number;
  /** Resolves with the exit status once the process is gone. */
  readonly exited: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #done = false;

  /**
   * Starts `argv` (optionally behind `prefix`, e.g. `ip netns exec NS`, which must exec so the
   * PID stays the program's). Output lines go to `log` at debug level tagged with `tag`.
   */
  constructor(argv: readonly string[], tag: string, prefix: readonly string[] = []) {
    const all = [...prefix, ...argv];
    const log = logger("openvpn");
    this.#child = new Deno.Command(all[0], {
      args: all.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    const out = forward(this.#child.stdout, log, tag);
    const err = forward(this.#child.stderr, log, tag);
    this.exited = this.#child.status.then(async (s) => {
      this.#done = true;
      await Promise.all([out, err]);
      return s;
    });
  }

  /** Whether the process has exited. */
  get done(): boolean {
    return this.#done;
  }

  /** SIGTERM, then SIGKILL if still alive after `graceMs`; resolves once it is gone. */
  async stop(graceMs = STOP_GRACE_MS): Promise<Deno.CommandStatus> {
    this.#signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#signal("SIGKILL");
        resolve();
      }, graceMs);
    });
    try {
      await Promise.race([this.exited, killed]);
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #signal(sig: Deno.Signal): void {
    if (this.#done) return;
    try {
      this.#child.kill(sig);
    } catch { /* exited meanwhile */ }
  }
}

async function forward(stream: ReadableStream<Uint8Array>, log: Logger, tag: string) {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    for (const l of lines) if (l) log.debug(`${tag}: ${l}`);
  }
  if (buf) log.debug(`${tag}: ${buf}`);
}
