/**
 * Loads rule sets into the kernel: `iptables-restore` / `ip6tables-restore` (each replaces the
 * filter table of its family atomically; both are checked with `--test` before either is
 * loaded) or `nft -f` (one transaction, checked with `-c` first).
 */
import { tryRun } from "../netns/exec.ts";

async function feed(program: string, args: string[], text: string): Promise<void> {
  const out = await tryRun([program, ...args], { stdin: text });
  if (out.code !== 0) {
    throw new Error(
      `${program} ${args.join(" ")} failed (status ${out.code}): ${out.stderr.trim()}`,
    );
  }
}

/** Checks then loads the IPv4 and IPv6 filter tables. */
export async function applyIptables(v4: string, v6: string): Promise<void> {
  await feed("iptables-restore", ["--test"], v4);
  await feed("ip6tables-restore", ["--test"], v6);
  await feed("iptables-restore", [], v4);
  await feed("ip6tables-restore", [], v6);
}

/** Checks then loads an `nft -f` rule file. */
export async function applyNft(text: string): Promise<void> {
  await feed("nft", ["-c", "-f", "-"], text);
  await feed("nft", ["-f", "-"], text);
}
