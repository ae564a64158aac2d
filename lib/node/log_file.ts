/**
 * The daemon's log destination: `<log>/re6stnet.log` (appended, reopened on SIGUSR1 for
 * logrotate), or stderr when the directory cannot be written.
 */
import { logger, setSink } from "../log.ts";

const log = logger("node");
const enc = new TextEncoder();

/** An open log file that can be reopened. */
export class LogFile {
  #file?: Deno.FsFile;

  constructor(readonly path: string) {}

  /** (Re)opens the file and routes log lines to it; falls back to stderr on failure. */
  open(): void {
    this.close();
    try {
      const file = Deno.openSync(this.path, { append: true, create: true });
      this.#file = file;
      setSink((line) => {
        try {
          file.writeSync(enc.encode(line + "\n"));
        } catch {
          console.error(line);
        }
      });
    } catch (e) {
      setSink((line) => console.error(line));
      log.warn(`cannot open ${this.path} (${(e as Error).message}); logging to stderr`);
    }
  }

  /** Closes the file; further lines go to stderr. */
  close(): void {
    if (!this.#file) return;
    setSink((line) => console.error(line));
    try {
      this.#file.close();
    } catch { /* closed */ }
    this.#file = undefined;
  }
}
