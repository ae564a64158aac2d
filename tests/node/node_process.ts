/** A real `re6st node` process in tests: its files in a temporary directory, its command. */
import type { CaSigner } from "../../lib/pki/ca.ts";
import { createTestNode } from "../../lib/pki/testing.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * A new temporary directory with `ca.crt` (the certificate of `ca`) and `cert.crt` / `cert.key`
 * for prefix 0000000000000101, signed by `signer` (by default `ca` itself).
 */
export async function writeNodeDir(
  ca: { certPem: string; signer: CaSigner },
  signer = ca.signer,
): Promise<string> {
  const dir = await Deno.makeTempDir();
  const node = await createTestNode(signer, "0000000000000101");
  await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
  await Deno.writeTextFile(`${dir}/cert.crt`, node.certPem);
  await Deno.writeTextFile(`${dir}/cert.key`, node.keyPem);
  return dir;
}

/**
 * `re6st node` of this checkout using the files of `dir` (state, run and log directories in it
 * too) and `registry`, followed by `extra` arguments.
 */
export function nodeCommand(
  dir: string,
  registry: string,
  extra: string[] = [],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "node",
      "--registry",
      registry,
      "--ca",
      `${dir}/ca.crt`,
      "--cert",
      `${dir}/cert.crt`,
      "--key",
      `${dir}/cert.key`,
      "--state",
      `${dir}/state`,
      "--run",
      `${dir}/run`,
      "--log",
      `${dir}/log`,
      ...extra,
    ], // deno-fmt-ignore
    ...options,
  });
}
