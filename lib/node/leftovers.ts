/**
 * Idempotent start-up after a crash (ARCHITECTURE.md "Lessons"): a node killed with SIGKILL
 * leaves its babeld and OpenVPN children running. They are recognised by their command line,
 * which names a file in our run directory (babeld's `-G <run>/babeld.sock`, OpenVPN's hooks and
 * management sockets), and killed by PID before anything else starts — unless a live daemon still
 * serves that run directory (`runDirInUse`): those children are its own. The routes the dead
 * babeld installed (`proto babel` with our preferred source) are flushed too: a stale one via a
 * reused TAP whose tunnel now leads to another peer would shadow the new babeld's route (it cannot
 * add an existing route). Routes of any other babeld on the host (another source) are left alone.
 */
import { logger } from "../log.ts";
import { controlSocketPath } from "./control/socket_path.ts";
import { type IpRunner, runIp } from "./system/ip.ts";

const log = logger("node");
const CHILDREN = new Set(["babeld", "openvpn"]);

/** PIDs of babeld/openvpn processes whose arguments mention a path inside `runDir`. */
export function findLeftovers(runDir: string, proc = "/proc"): number[] {
  const dir = runDir.endsWith("/") ? runDir : runDir + "/";
  const found: number[] = [];
  for (const e of Deno.readDirSync(proc)) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    let argv: string[];
    try {
      argv = Deno.readTextFileSync(`${proc}/${e.name}/cmdline`).split("\0");
    } catch {
      continue; // exited meanwhile
    }
    const program = argv[0]?.split("/").pop() ?? "";
    if (CHILDREN.has(program) && argv.some((a) => a.startsWith(dir))) found.push(Number(e.name));
  }
  return found;
}

/** SIGKILLs the leftovers of a previous run in `runDir` and waits (bounded) until they are gone. */
export async function killLeftovers(runDir: string): Promise<number> {
  const pids = findLeftovers(runDir);
  for (const pid of pids) {
    log.warn(`killing leftover process ${pid} of a previous run`);
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  const deadline = Date.now() + 5000;
  while (pids.some((p) => exists(`/proc/${p}`)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return pids.length;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when a running daemon answers on `runDir`'s control socket. A crashed daemon leaves the
 * socket file, but nothing accepts connections on it any more.
 */
export async function runDirInUse(runDir: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path: controlSocketPath(runDir) });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes the routes a previous babeld of ours left in the kernel: `proto babel` routes whose
 * preferred source is one of `sources` (our re6st address, our IPv4 payload address), which
 * babeld's `install pref-src` gives every route it installs for us.
 */
export async function flushBabelRoutes(sources: string[], ip: IpRunner = runIp): Promise<void> {
  for (const src of sources) {
    const family = src.includes(":") ? "-6" : "-4";
    const r = await ip([family, "route", "flush", "proto", "babel", "src", src]);
    if (!r.ok) log.debug(`ip ${family} route flush proto babel src ${src}: ${r.stderr.trim()}`);
  }
}
