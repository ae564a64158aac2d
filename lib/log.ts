/**
 * Levelled logger shared by every role. Lines look like
 * `2026-11-22 01:02:03 INFO     registry: message` (re6stnet's layout, §14.1).
 * Verbosity follows re6stnet's `-v`: 0 none, 1 warning, 2 info, 3 debug, 4 trace.
 */

/** Log levels, ordered by verbosity needed to print them. */
export type Level = "ERROR" | "WARNING" | "INFO" | "DEBUG" | "TRACE";

const needed: Record<Level, number> = { ERROR: 1, WARNING: 1, INFO: 2, DEBUG: 3, TRACE: 4 };

let verbosity = 2;
let sink: (line: string) => void = (line) => console.error(line);

/** Sets the `-v` verbosity (0–4). */
export function setVerbosity(v: number): void {
  verbosity = v;
}

/** Current `-v` verbosity. */
export function getVerbosity(): number {
  return verbosity;
}

/** Redirects log lines (e.g. to a file writer); returns the previous sink. */
export function setSink(next: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = next;
  return prev;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** Formats one log line; exported for tests and for file sinks. */
export function formatLine(level: Level, scope: string, msg: string, now = new Date()): string {
  const d = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const t = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  return `${d} ${t} ${level.padEnd(9)}${scope}: ${msg}`;
}

/** A logger bound to one scope (component name). */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
}

/** Returns a logger whose lines carry `scope`. */
export function logger(scope: string): Logger {
  const emit = (level: Level) => (msg: string) => {
    if (verbosity >= needed[level]) sink(formatLine(level, scope, msg));
  };
  return {
    error: emit("ERROR"),
    warn: emit("WARNING"),
    info: emit("INFO"),
    debug: emit("DEBUG"),
    trace: emit("TRACE"),
  };
}
