/**
 * Runs inside a test namespace and drives our UPnP code on request. It listens on the Unix
 * socket given as argument (reachable from the test across namespaces) and prints "ready";
 * each connection carries one JSON command line and gets one JSON answer line
 * (`{"ok":true,...}` or `{"ok":false,"error":…}`). Library log lines go to stderr. Commands:
 *   {"op":"discover"}                             IgdClient.discover + GetExternalIPAddress
 *   {"op":"add","externalPort":N,"proto":"tcp","internalPort":N}   one raw AddPortMapping
 *   {"op":"delete","externalPort":N,"proto":"tcp"}                 one raw DeletePortMapping
 *   {"op":"mapper","servers":[…],"seed":[r1,r2,start]}              creates the PortMapper
 *   {"op":"start"} | {"op":"refresh","force":bool} | {"op":"stop"}  PortMapper calls
 *   {"op":"listen","port":N}                      TCP listener answering "hello from LAN"
 *   {"op":"connect","host":…,"port":N}            TCP connect, returns what the peer sent
 */
import { setVerbosity } from "../../lib/log.ts";
import { IgdClient, type MappingProtocol } from "../../lib/node/upnp/igd.ts";
import { type LocalServer, PortMapper } from "../../lib/node/upnp/port_mapper.ts";

setVerbosity(3);
const discoverOpts = { timeoutMs: 3000 };
let mapper: PortMapper | undefined;

type Cmd = Record<string, unknown> & { op: string };

async function handle(cmd: Cmd): Promise<Record<string, unknown>> {
  switch (cmd.op) {
    case "discover": {
      const igd = await IgdClient.discover(discoverOpts);
      return {
        lanAddress: igd.lanAddress,
        controlUrl: igd.controlUrl,
        serviceType: igd.serviceType,
        externalIp: await igd.getExternalIPAddress(),
      };
    }
    case "add": {
      const igd = await IgdClient.discover(discoverOpts);
      await igd.addPortMapping({
        externalPort: cmd.externalPort as number,
        protocol: (cmd.proto as string).toUpperCase() as MappingProtocol,
        internalPort: cmd.internalPort as number,
        internalClient: igd.lanAddress,
        description: "someone else",
        leaseDuration: 0,
      });
      return {};
    }
    case "delete": {
      const igd = await IgdClient.discover(discoverOpts);
      const proto = (cmd.proto as string).toUpperCase() as MappingProtocol;
      await igd.deletePortMapping(cmd.externalPort as number, proto);
      return {};
    }
    case "mapper": {
      const seed = [...(cmd.seed as number[])];
      // the seed's three values are consumed in order by randomPortSeed
      mapper = new PortMapper({
        servers: cmd.servers as LocalServer[],
        implicit: Boolean(cmd.implicit),
        discover: () => IgdClient.discover(discoverOpts),
        random: () => seed.shift()!,
      });
      return {};
    }
    case "start":
      return { result: await mapper!.start() };
    case "refresh":
      return { refreshed: await mapper!.refresh(Boolean(cmd.force)), endpoints: mapper!.endpoints };
    case "stop":
      await mapper!.stop();
      return { endpoints: mapper!.endpoints };
    case "listen": {
      const l = Deno.listen({ hostname: "0.0.0.0", port: cmd.port as number });
      (async () => {
        for await (const c of l) {
          await c.write(new TextEncoder().encode(`hello from LAN to ${c.remoteAddr.hostname}`));
          c.close();
        }
      })().catch(() => {});
      return {};
    }
    case "connect": {
      const c = await Deno.connect({ hostname: cmd.host as string, port: cmd.port as number });
      const buf = new Uint8Array(256);
      const n = await Promise.race([
        c.read(buf),
        new Promise<null>((r) => setTimeout(() => r(null), 3000)),
      ]);
      c.close();
      return { received: new TextDecoder().decode(buf.subarray(0, n ?? 0)) };
    }
  }
  throw new Error(`unknown op ${cmd.op}`);
}

/** Serves one connection: a command line in, an answer line out. */
async function serve(conn: Deno.Conn): Promise<void> {
  const decoder = new TextDecoder();
  let line = "";
  const buf = new Uint8Array(4096);
  while (!line.includes("\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    line += decoder.decode(buf.subarray(0, n));
  }
  let answer: Record<string, unknown>;
  try {
    answer = { ok: true, ...(await handle(JSON.parse(line))) };
  } catch (e) {
    const err = e as Error & { code?: number };
    answer = { ok: false, error: err.message, code: err.code };
  }
  await conn.write(new TextEncoder().encode(JSON.stringify(answer) + "\n"));
  conn.close();
}

const server = Deno.listen({ transport: "unix", path: Deno.args[0] });
console.log("ready");
for await (const conn of server) serve(conn).catch((e) => console.error(`driver: ${e}`));
