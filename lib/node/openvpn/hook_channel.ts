/**
 * The daemon's end of the hook channel: a FIFO in the run directory that `route-up` hooks of
 * client tunnels write single lines to (see hooks.ts). Lines are parsed defensively: anything
 * malformed is logged and dropped; the reader never stops on bad input.
 */
import { logger } from "../../log.ts";
import { isIpLiteral } from "./ip_literal.ts";

const log = logger("openvpn");

/** A client tunnel reached `route-up`: TLS done, options pushed, TAP up. */
export interface RouteUp {
  /** PID of the reporting OpenVPN process. */
  pid: number;
  dev: string;
  /** Server certificate CN. */
  cn: string;
  /** Server certificate serial. */
  serial: bigint;
  /** Our real address as the server saw it (`setenv-safe external_ip`), if it pushed one. */
  externalIp: string | undefined;
}

/** Longest line accepted (a real one is under 200 bytes). */
const MAX_LINE = 4096;

/** Parses one hook line; returns the event or why it was rejected. */
export function parseHookLine(line: string): RouteUp | string {
  const f = line.split("\t");
  if (f[0] !== "route-up") return `unknown hook line ${JSON.stringify(line.slice(0, 80))}`;
  if (f.length !== 6) return `route-up line with ${f.length} fields`;
  const [, pid, dev, cn, serial, ext] = f;
  if (!/^\d{1,10}$/.test(pid) || Number(pid) < 1) return "route-up line with a bad pid";
  if (!/^[\w.-]{1,15}$/.test(dev)) return "route-up line with a bad device";
  if (!cn) return "route-up line without common name";
  if (!/^\d{1,60}$/.test(serial)) return "route-up line with a bad serial";
  return {
    pid: Number(pid),
    dev,
    cn,
    serial: BigInt(serial),
    externalIp: isIpLiteral(ext) ? ext : undefined,
  };
}

/** Reads the FIFO and hands every valid `route-up` report to `onRouteUp`. */
export class HookChannel {
  #file: Deno.FsFile;
  #done: Promise<void>;

  private constructor(file: Deno.FsFile, onRouteUp: (e: RouteUp) => void) {
    this.#file = file;
    this.#done = this.#read(onRouteUp);
  }

  /** Creates the FIFO at `path` (replacing any file there) and starts reading it. */
  static async open(path: string, onRouteUp: (e: RouteUp) => void): Promise<HookChannel> {
    await Deno.remove(path).catch(() => {});
    const mk = await new Deno.Command("mkfifo", { args: ["-m", "0600", path] }).output();
    if (!mk.success) throw new Error(`mkfifo ${path}: ${new TextDecoder().decode(mk.stderr)}`);
    // Read-write: the FIFO never reports end-of-file while hooks come and go.
    return new HookChannel(await Deno.open(path, { read: true, write: true }), onRouteUp);
  }

  async #read(onRouteUp: (e: RouteUp) => void): Promise<void> {
    let buf = "";
    try {
      for await (const chunk of this.#file.readable.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.#line(buf.slice(0, nl), onRouteUp);
          buf = buf.slice(nl + 1);
        }
        if (buf.length > MAX_LINE) {
          log.warn("hook channel: dropping an overlong line");
          buf = "";
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.Interrupted || e instanceof Deno.errors.BadResource)) {
        log.error(`hook channel: ${e}`);
      }
    }
  }

  #line(line: string, onRouteUp: (e: RouteUp) => void): void {
    const ev = parseHookLine(line);
    if (typeof ev === "string") {
      log.warn(`hook channel: dropped: ${ev}`);
      return;
    }
    try {
      onRouteUp(ev);
    } catch (e) {
      log.error(`hook channel: route-up handler failed: ${e}`);
    }
  }

  /** Stops reading and closes the FIFO (the FIFO file stays; the run dir owns it). */
  async close(): Promise<void> {
    try {
      this.#file.close();
    } catch { /* already closed by the reader */ }
    await this.#done;
  }
}
