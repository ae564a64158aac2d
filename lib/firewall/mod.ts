/**
 * `re6st firewall`: prints (or with `--apply` loads) the iptables/ip6tables/nftables rules a
 * re6st node needs.
 */
import { logger } from "../log.ts";
import { applyIptables, applyNft } from "./apply.ts";
import { FIREWALL_USAGE, parseFirewallArgs, sshLockout } from "./args.ts";
import { renderIptables } from "./iptables.ts";
import { renderNft } from "./nft.ts";

const log = logger("firewall");

/** Entry point; returns the exit status (2 for bad arguments, 1 when applying fails). */
export async function run(args: string[]): Promise<number> {
  let cmd;
  try {
    cmd = parseFirewallArgs(args);
  } catch (e) {
    console.error(`re6st firewall: ${(e as Error).message}\n\n${FIREWALL_USAGE}`);
    return 2;
  }
  if (cmd.help) {
    console.log(FIREWALL_USAGE);
    return 0;
  }
  const { input, format } = cmd;
  if (!cmd.apply) {
    const parts = [];
    if (format === "iptables" || format === "all") parts.push(renderIptables(input, 4));
    if (format === "ip6tables" || format === "all") parts.push(renderIptables(input, 6));
    if (format === "nft" || format === "all") parts.push(renderNft(input));
    console.log(parts.join("\n").trimEnd());
    return 0;
  }
  const lockout = sshLockout(input, Deno.env.get("SSH_CONNECTION"));
  if (lockout && !cmd.force) {
    console.error(`re6st firewall: refusing to apply: ${lockout}`);
    return 1;
  }
  try {
    if (format === "nft") await applyNft(renderNft(input));
    else await applyIptables(renderIptables(input, 4), renderIptables(input, 6));
  } catch (e) {
    log.error((e as Error).message);
    return 1;
  }
  log.info(`rules applied (${format === "nft" ? "nft" : "iptables + ip6tables"})`);
  return 0;
}
