import assert from "node:assert/strict";
import { run } from "../../lib/sim/main.ts";
import { main } from "../../main.ts";
import { linePlot } from "../../lib/sim/svg.ts";
import { toCsv } from "../../lib/sim/csv.ts";
import { publishedDistance } from "../../lib/sim/published.ts";

/** Runs `re6st simulate …` capturing what it prints. */
async function simulate(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const status = await run(args);
    return { status, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("re6st simulate is registered in main.ts", async () => {
  const out: string[] = [];
  const { log } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  try {
    assert.equal(await main(["simulate", "--help"]), 0);
    assert.equal(await main(["--help"]), 0);
  } finally {
    console.log = log;
  }
  assert.match(
    out.join("\n"),
    /simulate\s+run the real tunnel manager on thousands of virtual nodes/,
  );
  assert.match(out.join("\n"), /refresh-rule/);
});

Deno.test("bad options give a clear error and status 2, never a crash", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["--n", "abc"], /--n must be an integer/],
    [["--n", "0"], /--n must be an integer in 1–131072/],
    [["--k", "2.5"], /--k must be an integer/],
    [["--nat", "1.5"], /--nat must be a number in 0–1/],
    [["--start", "hot"], /--start must be one of cold, warm/],
    [["--refresh", "sometimes"], /--refresh must be one of routes, random, off/],
    [["--landmarks", "0"], /--landmarks must be an integer in 1–131072/],
    [["--landmarks", "-3"], /argument is ambiguous/],
    [["--registry-down", "5..2"], /--registry-down must be a round range/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["teleport"], /unknown experiment 'teleport'/],
    [["distance", "--n", "100..50"], /--n: empty range 100..50/],
    [["distance", "--k", "5;10"], /--k must be a list like 1,2,3 or a range like a..b/],
    [["distance", "--n", "100..300000"], /--n: 204800 is not in 2–131072/],
    [["alive", "--alive", "0..50"], /--alive: empty range|--alive: 0 is not/],
  ];
  for (const [args, message] of cases) {
    const r = await simulate(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.err, message, args.join(" "));
  }
});

Deno.test("a plain run prints the table and writes CSV and SVG", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await simulate([
      "--n",
      "60",
      "--k",
      "4",
      "--rounds",
      "2",
      "--nat",
      "0.2",
      "--registry-down",
      "1..2",
      "--csv",
      `${dir}/run.csv`,
      "--svg",
      `${dir}/run.svg`,
    ]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /60 nodes running the real tunnel manager/);
    assert.match(r.out, /route counts: exact/);
    assert.match(r.out, /hop distance distribution \(final round\): 1:\d+/);
    assert.match(r.out, /full connectivity from warm start: \d+ s \(virtual\)/);
    assert.match(r.out, /peak RSS \d+\.\d MiB/);
    const csv = (await Deno.readTextFile(`${dir}/run.csv`)).trim().split("\n");
    assert.equal(csv.length, 4);
    assert.match(csv[0], /^round,time_s,live,hops_mean,diameter,pairs_connected/);
    assert.match(csv[1], /^0,30,60,\d\.\d{4},\d,1\.000000,1,/);
    const svg = await Deno.readTextFile(`${dir}/run.svg`);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /average hops/);
    assert.equal((svg.match(/<path /g) ?? []).length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the three experiments run end to end on small networks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await simulate([
      "distance",
      "--n",
      "100..200",
      "--k",
      "5,10",
      "--rounds",
      "1",
      "--csv",
      `${dir}/a.csv`,
      "--svg",
      `${dir}/a.svg`,
    ]);
    assert.equal(a.status, 0, a.err);
    const rows = (await Deno.readTextFile(`${dir}/a.csv`)).trim().split("\n");
    assert.equal(rows.length, 5);
    for (const line of rows.slice(1)) {
      const [n, k, , , final, , published] = line.split(",");
      // the real core on a random start lands within 5 % of the published model
      assert.ok(Math.abs(Number(final) / Number(published) - 1) < 0.05, line);
      assert.equal(Number(published), publishedDistance(Number(n), Number(k)));
    }
    assert.match(await Deno.readTextFile(`${dir}/a.svg`), /k=10 published/);

    const b = await simulate([
      "alive",
      "--n",
      "150",
      "--k",
      "6",
      "--alive",
      "30,90",
      "--trials",
      "3",
      "--rounds",
      "1",
      "--heal",
      "1",
      "--csv",
      `${dir}/b.csv`,
      "--svg",
      `${dir}/b.svg`,
    ]);
    assert.equal(b.status, 0, b.err);
    const alive = (await Deno.readTextFile(`${dir}/b.csv`)).trim().split("\n").slice(1)
      .map((l) => l.split(",").map(Number));
    assert.equal(alive.length, 2);
    const [low, high] = alive;
    assert.ok(low[2] >= high[2], "fewer live nodes, more disconnected pairs");
    assert.ok(high[5] === 1 && high[4] >= 0);
    assert.match(await Deno.readTextFile(`${dir}/b.svg`), /<svg/);

    const c = await simulate([
      "refresh-rule",
      "--n",
      "80",
      "--k",
      "4",
      "--rounds",
      "2",
      "--csv",
      `${dir}/c.csv`,
      "--svg",
      `${dir}/c.svg`,
    ]);
    assert.equal(c.status, 0, c.err);
    const header = (await Deno.readTextFile(`${dir}/c.csv`)).split("\n")[0];
    assert.equal(header, "round,routes,routes-64-landmarks,random,off");
    assert.match(c.out, /random: tunnels per node at the end/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SVG plot: log axes drop non-positive points, text is escaped; CSV quotes cells", () => {
  const svg = linePlot({
    title: "a <b> & c",
    xLabel: "x",
    yLabel: "y",
    xScale: "log2",
    yScale: "log10",
    series: [
      { name: "s1", points: [[1, 0], [2, 1e-3], [4, 1e-6], [8, 0.5]] },
      { name: 's"2', points: [[0, 1], [16, 2]], dashed: true },
      { name: "empty", points: [] },
    ],
  });
  assert.match(svg, /a &lt;b&gt; &amp; c/);
  assert.match(svg, /s&quot;2/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  assert.match(svg, /stroke-dasharray/);
  assert.equal(
    toCsv(["a", "b"], [{ a: 1, b: 'x,"y"' }, { a: undefined, b: 2 }]),
    'a,b\n1,"x,""y"""\n,2\n',
  );
});
