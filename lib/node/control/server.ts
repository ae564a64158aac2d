/**
 * The node's control server: HTTP on the unix socket `<run>/re6st.sock` (run directory 0700,
 * socket 0600: only root reads the node's state). `re6st status` and operators
 * (`curl --unix-socket /var/run/re6stnet/re6st.sock http://re6st/status`) talk to it.
 *
 * The daemon starts it early (`NodeControl.start`), feeds the counters only the shell sees
 * (`metrics.dropped`, `metrics.fetched`), then hands over its state accessor (`setSource`) once
 * running; until then `/status` answers 503.
 */
import { logger } from "../../log.ts";
import { statusDocument } from "./document.ts";
import { controlHandler } from "./http.ts";
import { NodeMetrics } from "./metrics.ts";
import type { NodeSnapshot } from "./snapshot.ts";
import { controlSocketPath } from "./socket_path.ts";

const log = logger("control");

/** A running control server. */
export class NodeControl {
  /** counters fed by the daemon; rendered at `/metrics` */
  readonly metrics = new NodeMetrics();
  #source?: () => NodeSnapshot | Promise<NodeSnapshot>;
  #server?: Deno.HttpServer<Deno.UnixAddr>;

  private constructor(readonly socketPath: string) {}

  /**
   * Listens on `<runDir>/re6st.sock` (a stale socket of a crashed run is replaced). Never
   * throws: if the socket cannot be made, the error is logged and the node runs without it.
   */
  static async start(runDir: string, clock: () => number = Date.now): Promise<NodeControl> {
    const control = new NodeControl(controlSocketPath(runDir));
    try {
      await control.#listen(runDir, clock);
      log.info(`control socket ${control.socketPath}`);
    } catch (e) {
      log.error(`no control socket (re6st status will not work): ${(e as Error).message}`);
    }
    return control;
  }

  async #listen(runDir: string, clock: () => number): Promise<void> {
    await Deno.mkdir(runDir, { recursive: true, mode: 0o700 });
    await Deno.chmod(runDir, 0o700);
    await Deno.remove(this.socketPath).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    const scrape = async () => {
      const snapshot = await this.#source?.();
      return snapshot && { snapshot, doc: statusDocument(snapshot, clock()) };
    };
    const handler = controlHandler({
      status: async () => (await scrape())?.doc,
      metrics: async () => this.metrics.render(await scrape()),
    });
    this.#server = Deno.serve({
      path: this.socketPath,
      onListen: () => {},
      onError: (e) => {
        log.error(`control request failed: ${(e as Error).message}`);
        return new Response("internal error\n", { status: 500 });
      },
    }, handler);
    await Deno.chmod(this.socketPath, 0o600);
  }

  /** The daemon's state accessor (read at each request). */
  setSource(fn: () => NodeSnapshot | Promise<NodeSnapshot>): void {
    this.#source = fn;
  }

  /** Stops answering and removes the socket. */
  async close(): Promise<void> {
    this.#source = undefined;
    await this.#server?.shutdown();
    this.#server = undefined;
    await Deno.remove(this.socketPath).catch(() => {});
  }
}
