/**
 * Idempotent start-up after a crash (ARCHITECTURE.md "Lessons"): a node killed with SIGKILL
 * leaves its babeld and OpenVPN children running. They are recognised by their command line,
 * which names a file in our run directory (babeld's `-G <run>/babeld.sock`, OpenVPN's hooks and
 * management sockets), and killed by PID before anything else starts.
 */
import { logger } from "../log.ts";

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
