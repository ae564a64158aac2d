/**
 * `re6st` — one program, several roles. Parses the subcommand and hands the remaining
 * arguments to that role's entry point. Every role returns its process exit status.
 */
import { VERSION } from "./lib/version.ts";

/** A subcommand: a one-line summary and a lazily imported entry point. */
interface Command {
  summary: string;
  run: () => Promise<(args: string[]) => Promise<number>>;
}

const commands: Record<string, Command> = {
  ca: {
    summary: "create a new network's CA (key, certificate, DH) for an IPv6 prefix",
    run: async () => (await import("./lib/pki/ca_command.ts")).run,
  },
  conf: {
    summary: "register this machine with a registry and write its keys, certificate and config",
    run: async () => (await import("./lib/conf/run.ts")).run,
  },
  demo: {
    summary: "build a whole re6st network in namespaces on this machine and show it converge",
    run: async () => (await import("./lib/demo/run.ts")).run,
  },
  firewall: {
    summary: "print (or --apply) the iptables/ip6tables/nftables rules this node needs",
    run: async () => (await import("./lib/firewall/mod.ts")).run,
  },
  node: {
    summary: "run this machine's re6st node: tunnels, routing, peer protocol",
    run: async () => (await import("./lib/node/daemon.ts")).run,
  },
  registry: {
    summary: "run the network's registry: CA, prefix allocation, parameters, bootstrap",
    run: async () => (await import("./registry.ts")).run,
  },
  status: {
    summary: "show what a running node sees: tunnels, peers, routes, version",
    run: async () => (await import("./lib/status/run.ts")).run,
  },
  simulate: {
    summary: "run the real tunnel manager on thousands of virtual nodes",
    run: async () => (await import("./lib/sim/main.ts")).run,
  },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    `re6st ${VERSION} — resilient, scalable IPv6 overlay network`,
    "",
    "usage: re6st <command> [options] [@config-file ...]",
    "",
    "commands:",
    ...rows,
    "",
    "Run `re6st <command> --help` for a command's options.",
  ].join("\n");
}

/** Dispatches `args` to a subcommand and returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(VERSION);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`re6st: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const run = await command.run();
  return await run(rest);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
