/**
 * A closed test network (rules: ../../../shared/TESTNET.md) with a NAT gateway running real
 * miniupnpd: `gw` (LAN bridge 198.18.1.1/24, outside 198.18.2.1/24, MASQUERADE, forward
 * policy drop except LAN→out, replies and miniupnpd's own rules), LAN hosts `lan`
 * (198.18.1.2) and `lan2` (198.18.1.3), and an outside host `out` (198.18.2.2) that also
 * runs the STUN responder miniupnpd checks its reachability with. Every namespace carries a
 * per-run prefix; processes are killed by PID; everything is deleted in `dispose`.
 */

const FAMILY = "r6u";
const DIR = new URL("./", import.meta.url).pathname;

/** Addresses of the test network. */
export const ADDR = {
  gwInside: "198.18.1.1",
  gwOutside: "198.18.2.1",
  lan: "198.18.1.2",
  lan2: "198.18.1.3",
  out: "198.18.2.2",
  insideCidr: "198.18.1.0/24",
} as const;

async function sh(argv: string[], opts: { ns?: string; stdin?: string } = {}): Promise<string> {
  const full = opts.ns ? ["ip", "netns", "exec", opts.ns, ...argv] : argv;
  const child = new Deno.Command(full[0], {
    args: full.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${full.join(" ")} exited ${out.code}: ${dec.decode(out.stderr).trim()}`);
  }
  return dec.decode(out.stdout);
}

/** Polls `probe` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve().then(probe).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A long-running process in a namespace, with its output collected. */
export interface Running {
  name: string;
  child: Deno.ChildProcess;
  output: () => string;
}

/** A driver process (`upnp_driver.ts`) in a namespace: send a command, get its answer. */
export interface Driver extends Running {
  send(cmd: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const alive = (pid: number) => {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
};

/** The gateway network; create with `GatewayNet.create`, always `dispose`. */
export class GatewayNet {
  readonly procs: Running[] = [];
  readonly ns: { gw: string; lan: string; lan2: string; out: string };
  private readonly tmp: string;

  private constructor(prefix: string, tmp: string) {
    this.ns = {
      gw: `${prefix}gw`,
      lan: `${prefix}lan`,
      lan2: `${prefix}lan2`,
      out: `${prefix}out`,
    };
    this.tmp = tmp;
  }

  /** Deletes leftovers of dead runs, then builds the network and starts miniupnpd. */
  static async create(): Promise<GatewayNet> {
    for (const ns of (await sh(["ip", "netns", "list"])).split("\n").map((l) => l.split(" ")[0])) {
      const m = new RegExp(`^${FAMILY}(\\d+)-`).exec(ns);
      if (m && !alive(Number(m[1]))) await deleteNamespace(ns);
    }
    const prefix = `${FAMILY}${Deno.pid}-${Math.random().toString(36).slice(2, 6)}-`;
    const net = new GatewayNet(prefix, await Deno.makeTempDir({ prefix }));
    try {
      await net.build();
    } catch (e) {
      await net.dispose();
      throw e;
    }
    return net;
  }

  private async build(): Promise<void> {
    const { gw, lan, lan2, out } = this.ns;
    for (const ns of [gw, lan, lan2, out]) {
      await sh(["ip", "netns", "add", ns]);
      await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    await sh(["ip", "-n", gw, "link", "add", "br0", "type", "bridge"]);
    await sh(["ip", "-n", gw, "addr", "add", `${ADDR.gwInside}/24`, "dev", "br0"]);
    await sh(["ip", "-n", gw, "link", "set", "br0", "up"]);
    for (const [ns, port, ip] of [[lan, "p0", ADDR.lan], [lan2, "p1", ADDR.lan2]]) {
      await sh([
        "ip",
        "-n",
        gw,
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        ns,
      ]);
      await sh(["ip", "-n", gw, "link", "set", port, "master", "br0", "up"]);
      await sh(["ip", "-n", ns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
      await sh(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      await sh(["ip", "-n", ns, "route", "add", "default", "via", ADDR.gwInside]);
    }
    await sh([
      "ip",
      "-n",
      gw,
      "link",
      "add",
      "out0",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      out,
    ]);
    await sh(["ip", "-n", gw, "addr", "add", `${ADDR.gwOutside}/24`, "dev", "out0"]);
    await sh(["ip", "-n", gw, "link", "set", "out0", "up"]);
    await sh(["ip", "-n", out, "addr", "add", `${ADDR.out}/24`, "dev", "eth0"]);
    await sh(["ip", "-n", out, "link", "set", "eth0", "up"]);
    await sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], { ns: gw });
    await sh(
      ["iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-o", "out0", "-j", "MASQUERADE"],
      {
        ns: gw,
      },
    );
    await sh(["nft", "-f", "-"], { ns: gw, stdin: RULESET });

    const stun = this.spawn(out, "stun", [
      Deno.execPath(),
      "run",
      "-A",
      `${DIR}stun_responder.ts`,
      ADDR.out,
      "3478",
    ]);
    await waitUntil(() => stun.output().includes("listening"), 15_000, "STUN responder");
    // resolve ARP first so that miniupnpd's first STUN round is not lost
    await sh(["ping", "-c", "1", "-w", "2", ADDR.out], { ns: gw });

    const conf = `${this.tmp}/miniupnpd.conf`;
    await Deno.writeTextFile(conf, miniupnpdConf(`${this.tmp}/leases`));
    const mu = this.spawn(gw, "miniupnpd", [
      "miniupnpd",
      "-d",
      "-f",
      conf,
      "-P",
      `${this.tmp}/pid`,
    ]);
    await waitUntil(
      () =>
        /HTTP listening on port \d+/.test(mu.output()) &&
        /Port forwarding is now enabled/.test(mu.output()),
      20_000,
      "miniupnpd to enable port forwarding and listen",
    );
  }

  /** Starts `argv` in namespace `ns`; stdout and stderr are collected. */
  spawn(ns: string, name: string, argv: string[], stdin: "piped" | "null" = "null"): Running {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, ...argv],
      stdin,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let text = "";
    const dec = new TextDecoder();
    for (const s of [child.stdout, child.stderr]) {
      (async () => {
        for await (const c of s) text += dec.decode(c);
      })().catch(() => {});
    }
    const r: Running = { name, child, output: () => text };
    if (name !== "driver") this.procs.push(r);
    return r;
  }

  /** Starts a `upnp_driver.ts` in namespace `ns`. */
  driver(ns: string, name: string): Driver {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", `${DIR}upnp_driver.ts`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let log = "";
    const answers: string[] = [];
    const dec = new TextDecoder();
    (async () => {
      let pending = "";
      for await (const c of child.stdout) {
        pending += dec.decode(c);
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          answers.push(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      }
    })().catch(() => {});
    (async () => {
      for await (const c of child.stderr) log += dec.decode(c);
    })().catch(() => {});
    const writer = child.stdin.getWriter();
    const d: Driver = {
      name,
      child,
      output: () => log,
      async send(cmd, timeoutMs = 20_000) {
        await writer.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
        const line = await waitUntil(() => answers.shift(), timeoutMs, `${name} ${cmd.op}`);
        return JSON.parse(line);
      },
    };
    this.procs.push(d);
    return d;
  }

  /** Runs a short command in namespace `ns` and returns its stdout. */
  exec(ns: string, argv: string[]): Promise<string> {
    return sh(argv, { ns });
  }

  /** miniupnpd's DNAT rules (`nft list chain …`), one per line. */
  async dnatRules(): Promise<string[]> {
    const text = await sh(["nft", "list", "chain", "inet", "miniupnpd", "prerouting_miniupnpd"], {
      ns: this.ns.gw,
    });
    return text.split("\n").map((l) => l.trim()).filter((l) => l.includes("dnat"));
  }

  /** Everything every process printed, for failure reports. */
  logs(): string {
    return this.procs.map((p) => `----- ${p.name} -----\n${p.output().trimEnd()}`).join("\n");
  }

  /** Stops every process by PID, deletes every namespace and the temp dir. */
  async dispose(): Promise<void> {
    for (const p of this.procs) {
      try {
        Deno.kill(p.child.pid, "SIGTERM");
      } catch {
        // already exited
      }
    }
    await Promise.all(
      this.procs.map((p) =>
        Promise.race([p.child.status, new Promise((r) => setTimeout(r, 3000))])
      ),
    );
    for (const ns of Object.values(this.ns)) await deleteNamespace(ns);
    await Deno.remove(this.tmp, { recursive: true }).catch(() => {});
  }
}

/** Kills (by PID) whatever still runs in `ns`, then deletes it; missing ones are ignored. */
async function deleteNamespace(ns: string): Promise<void> {
  const pids = await sh(["ip", "netns", "pids", ns]).catch(() => "");
  for (const p of pids.split("\n").filter((l) => /^\d+$/.test(l))) {
    try {
      Deno.kill(Number(p), "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  await sh(["ip", "netns", "del", ns]).catch(() => {});
}

/** Chains miniupnpd (nftables backend) fills; forwarding dropped unless allowed. */
const RULESET = `table inet miniupnpd {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept;
    iifname "br0" oifname "out0" accept;
    jump miniupnpd;
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd;
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd;
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
}
`;

function miniupnpdConf(leaseFile: string): string {
  return [
    "ext_ifname=out0",
    "listening_ip=br0",
    "port=0",
    "enable_upnp=yes",
    "enable_natpmp=no",
    "secure_mode=yes",
    "system_uptime=yes",
    `lease_file=${leaseFile}`,
    `uuid=${crypto.randomUUID()}`,
    "ext_perform_stun=yes",
    `ext_stun_host=${ADDR.out}`,
    "ext_stun_port=3478",
    "upnp_table_name=miniupnpd",
    "upnp_nat_table_name=miniupnpd",
    "upnp_forward_chain=miniupnpd",
    "upnp_nat_chain=prerouting_miniupnpd",
    "upnp_nat_postrouting_chain=postrouting_miniupnpd",
    `allow 1024-65535 ${ADDR.insideCidr} 1024-65535`,
    "deny 0-65535 0.0.0.0/0 0-65535",
    "",
  ].join("\n");
}
