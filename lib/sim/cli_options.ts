/**
 * Command-line options of `re6st simulate`: the model's parameters shared by every subcommand,
 * and the value syntaxes (`100..102400` doubling ranges, `5..50` stepped ranges, `12,16,20` lists).
 * Every malformed value is a `UsageError` with a message naming the option.
 */
import { parseArgs } from "node:util";
import type { SimOptions } from "./network.ts";

/** A bad command line; the message says what is wrong. */
export class UsageError extends Error {}

/** Options every subcommand accepts (strings as typed; see `modelOptions`). */
export const COMMON_OPTIONS = {
  n: { type: "string" },
  k: { type: "string" },
  "max-clients": { type: "string" },
  hello: { type: "string" },
  "tunnel-refresh": { type: "string" },
  seed: { type: "string", default: "1" },
  nat: { type: "string" },
  "open-delay": { type: "string" },
  "fail-delay": { type: "string" },
  start: { type: "string" },
  "warm-peers": { type: "string" },
  landmarks: { type: "string" },
  "landmark-age": { type: "string" },
  refresh: { type: "string" },
  backoff: { type: "string" },
  "kill-rate": { type: "string" },
  "revive-rate": { type: "string" },
  rounds: { type: "string" },
  sources: { type: "string" },
  csv: { type: "string" },
  svg: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Help text for the common options. */
export const COMMON_HELP = `model options (defaults in brackets):
  --n N                 nodes [1000]
  --k K                 client_count: tunnels each node opens [10]
  --max-clients N       clients each node serves at most [2k]
  --hello S             babel hello interval, timeout = 4 × hello [4]
  --tunnel-refresh S    seconds per refresh round [60]
  --seed S              random seed; same seed, same result [1]
  --nat X               share of nodes that refuse incoming tunnels, 0–1 [0]
  --open-delay S        seconds for a tunnel to come up [1]
  --fail-delay S        seconds until a refused attempt is reported [5]
  --start cold|warm     empty caches (bootstrap via the registry) or caches with peers [warm]
  --warm-peers N        peers in each cache at a warm start [2k]
  --landmarks L|exact   route counts: exact, or estimated from L landmarks [exact up to 2048 nodes, else 64]
  --landmark-age S      refresh landmark samples when older [tunnel-refresh]
  --refresh routes|random|off  tunnel refresh: replace the tunnel with the fewest routes (the
                        real rule, babel's route counts), a random one (baseline), or never [routes]
  --backoff spec|growing registry bootstrap back-off [spec]
  --kill-rate X         share of live nodes killed per round [0]
  --revive-rate X       share of dead nodes revived per round [0]
  --sources S           BFS sources for distance statistics [all nodes up to 2048, else 64]
  --csv FILE            write the results as CSV
  --svg FILE            write a line plot of the results as SVG`;

/** Parses `args` against the common options plus `extra`. */
export function parse<T extends Record<string, { type: "string" | "boolean" }>>(
  args: string[],
  extra: T,
): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      // deno-lint-ignore no-explicit-any
      options: { ...COMMON_OPTIONS, ...extra } as any,
    });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
}

/** A number option within [min, max] (integer if `integer`). */
export function num(
  name: string,
  text: string | boolean | undefined,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  if (text === undefined) return undefined;
  const s = String(text);
  const n = /^-?\d+(\.\d+)?(e-?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!(n >= min && n <= max) || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} must be ${integer ? "an integer" : "a number"} in ${min}–${max}`,
    );
  }
  return n;
}

/**
 * A list of integers: `a,b,c`, or `a..b` — doubling from a up to b when `doubling`, else in
 * steps of `step` (the distance between a and the next value).
 */
export function intList(
  name: string,
  text: string | boolean | undefined,
  min: number,
  max: number,
  range: { doubling: true } | { step: number },
): number[] | undefined {
  if (text === undefined) return undefined;
  const s = String(text);
  const m = /^(\d+)\.\.(\d+)$/.exec(s);
  let out: number[];
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    if (a > b || a < 1) throw new UsageError(`--${name}: empty range ${s}`);
    out = [];
    for (let v = a; v <= b; v = "doubling" in range ? v * 2 : v + range.step) out.push(v);
  } else if (/^\d+(,\d+)*$/.test(s)) {
    out = s.split(",").map(Number);
  } else {
    throw new UsageError(`--${name} must be a list like 1,2,3 or a range like a..b`);
  }
  for (const v of out) {
    if (v < min || v > max) throw new UsageError(`--${name}: ${v} is not in ${min}–${max}`);
  }
  return out;
}

function choice<T extends string>(
  name: string,
  text: unknown,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")}`);
  }
  return text as T;
}

/** The model parameters given on the command line (n and k excepted: they may be lists). */
export function modelOptions(v: Record<string, string | boolean | undefined>): Partial<SimOptions> {
  const o: Partial<SimOptions> = {};
  const set = <K extends keyof SimOptions>(key: K, value: SimOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  set("maxClients", num("max-clients", v["max-clients"], 0, 10000, true));
  set("hello", num("hello", v.hello, 1, 3600, true));
  set("tunnelRefresh", num("tunnel-refresh", v["tunnel-refresh"], 10, 86400, true));
  set("seed", num("seed", v.seed, 0, 2 ** 32 - 1, true));
  set("natShare", num("nat", v.nat, 0, 1));
  set("openDelay", num("open-delay", v["open-delay"], 0, 600, true));
  set("failDelay", num("fail-delay", v["fail-delay"], 0, 600, true));
  set("start", choice("start", v.start, ["cold", "warm"] as const));
  set("warmPeers", num("warm-peers", v["warm-peers"], 0, 200, true));
  if (v.landmarks !== undefined) {
    set(
      "routeCounts",
      v.landmarks === "exact" ? "exact" : num("landmarks", v.landmarks, 1, 131072, true),
    );
  }
  set("landmarkAge", num("landmark-age", v["landmark-age"], 1, 86400, true));
  set("refreshRule", choice("refresh", v.refresh, ["routes", "random", "off"] as const));
  set("backoff", choice("backoff", v.backoff, ["spec", "growing"] as const));
  set("killRate", num("kill-rate", v["kill-rate"], 0, 1));
  set("reviveRate", num("revive-rate", v["revive-rate"], 0, 1));
  if (o.hello !== undefined) o.detectDelay = 4 * o.hello;
  return o;
}
