/**
 * `re6st simulate`: runs the real tunnel manager (lib/node/tunnel/manager.ts) on thousands of
 * virtual nodes. Without an experiment name: one network, round by round. Experiments:
 * `distance` (a), `alive` (b), `refresh-rule` (c).
 *
 * `run(args)` → exit status: 0 done, 2 bad options.
 */
import { COMMON_HELP, intList, modelOptions, num, parse, UsageError } from "./cli_options.ts";
import { aliveExperiment } from "./experiment_alive.ts";
import { distanceExperiment } from "./experiment_distance.ts";
import { refreshRuleExperiment } from "./experiment_refresh.ts";
import { defaultOptions } from "./network.ts";
import { plainRun } from "./plain_run.ts";

const USAGE = `usage: re6st simulate [experiment] [options]

Runs the real tunnel manager core of \`re6st node\` on a modelled network of virtual nodes
(routing as babel would compute it, max_clients, NAT, churn, registry) on a virtual clock.

experiments:
  (none)         one network: per-round table, distributions, time to full connectivity
                   --rounds R [10]  --registry-down A..B (rounds A+1..B without registry)
  distance       (a) average hop distance for a grid of n and k, next to re6stnet's table
                   --n 100..102400 (doubling) --k 5..50 (step 5) --rounds R [5]
                   --budget SECONDS (no new cell after)  --first-k K (that column first)
  alive          (b) share of live node pairs that cannot communicate when only x% of the
                 nodes are alive, at once and after the survivors rebuilt tunnels without registry
                   --k 12,16,20 --n N [2000] --alive 10..90 [step 10] --trials T [20]
                   --rounds R settle rounds [3] --heal H rounds without registry [2]
  refresh-rule   (c) the route-count refresh rule vs random replacement (vs no refresh)
                   --n N [2000] --k K [10] --rounds R [20]

${COMMON_HELP}
  -h, --help            show this help`;

const EXTRA = {
  "registry-down": { type: "string" },
  budget: { type: "string" },
  "first-k": { type: "string" },
  alive: { type: "string" },
  trials: { type: "string" },
  heal: { type: "string" },
} as const;

function single(name: string, v: string | boolean | undefined, min: number, max: number) {
  return num(name, v, min, max, true);
}

/** Entry point of `re6st simulate`. */
export function run(args: string[]): Promise<number> {
  return Promise.resolve(simulate(args));
}

function simulate(args: string[]): number {
  const [first] = args;
  const experiment = first !== undefined && !first.startsWith("-") ? first : undefined;
  const rest = experiment ? args.slice(1) : args;
  try {
    if (experiment && !["distance", "alive", "refresh-rule"].includes(experiment)) {
      throw new UsageError(`unknown experiment '${experiment}'`);
    }
    const v = parse(rest, EXTRA);
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    const model = modelOptions(v);
    const csv = v.csv as string | undefined, svg = v.svg as string | undefined;
    const sources = single("sources", v.sources, 1, 131072);
    const command = `re6st simulate ${args.join(" ")}`;
    if (experiment === "distance") {
      distanceExperiment({
        ns: intList("n", v.n ?? "100..102400", 2, 131072, { doubling: true })!,
        ks: intList("k", v.k ?? "5..50", 1, 1000, { step: 5 })!,
        rounds: single("rounds", v.rounds, 0, 100000) ?? 5,
        model,
        sources,
        budget: num("budget", v.budget, 1, 1e7),
        firstK: single("first-k", v["first-k"], 1, 1000),
        csv,
        svg,
        command,
      });
    } else if (experiment === "alive") {
      aliveExperiment({
        ks: intList("k", v.k ?? "12,16,20", 1, 1000, { step: 4 })!,
        n: single("n", v.n, 2, 131072) ?? 2000,
        alive: intList("alive", v.alive ?? "10..90", 1, 100, { step: 10 })!,
        trials: single("trials", v.trials, 1, 100000) ?? 20,
        rounds: single("rounds", v.rounds, 0, 100000) ?? 3,
        heal: single("heal", v.heal, 0, 100000) ?? 2,
        model,
        csv,
        svg,
        command,
      });
    } else if (experiment === "refresh-rule") {
      refreshRuleExperiment({
        options: defaultOptions({
          ...model,
          nodes: single("n", v.n, 2, 131072) ?? 2000,
          clientCount: single("k", v.k, 1, 1000) ?? 10,
        }),
        rounds: single("rounds", v.rounds, 0, 100000) ?? 20,
        sources,
        csv,
        svg,
        command,
      });
    } else {
      let registryDown: [number, number] | undefined;
      if (v["registry-down"] !== undefined) {
        const m = /^(\d+)\.\.(\d+)$/.exec(String(v["registry-down"]));
        if (!m || Number(m[1]) > Number(m[2])) {
          throw new UsageError("--registry-down must be a round range A..B");
        }
        registryDown = [Number(m[1]), Number(m[2])];
      }
      plainRun({
        options: defaultOptions({
          ...model,
          nodes: single("n", v.n, 1, 131072) ?? 1000,
          clientCount: single("k", v.k, 1, 1000) ?? 10,
        }),
        rounds: single("rounds", v.rounds, 0, 100000) ?? 10,
        sources,
        registryDown,
        csv,
        svg,
      });
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`re6st simulate: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
