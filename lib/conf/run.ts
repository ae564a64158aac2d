/** `re6st conf` entry point: options, terminal I/O, exit status. */
import { parseCommandLine } from "../config/cli.ts";
import { confSchema } from "../config/conf_options.ts";
import { LineReader } from "./line_reader.ts";
import { ConfFailure, register } from "./register.ts";

/** Registers this machine with a registry; returns the exit status. */
export async function run(args: string[]): Promise<number> {
  const options = parseCommandLine(confSchema, args);
  if (typeof options === "number") return options;
  let stdin: LineReader | undefined;
  const io = {
    async ask(question: string) {
      await Deno.stdout.write(new TextEncoder().encode(question));
      stdin ??= new LineReader(Deno.stdin.readable);
      return await stdin.readLine();
    },
    say: (line: string) => console.log(line),
    warn: (line: string) => console.error(line),
  };
  try {
    return await register(options, io);
  } catch (e) {
    if (!(e instanceof ConfFailure)) throw e;
    console.error(`error: ${e.message}`);
    return 1;
  } finally {
    stdin?.release();
  }
}
