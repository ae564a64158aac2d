/** `--client` remotes: IP literals kept, host names resolved per family, bad answers dropped. */
import assert from "node:assert/strict";
import { type Lookup, resolveRemotes } from "../../lib/node/client_mode.ts";

const lookup: Lookup = (host, type) => {
  if (host === "gw.example") {
    return Promise.resolve(type === "A" ? ["198.18.0.7", "--up"] : ["2001:db8::7"]);
  }
  return Promise.reject(new Error(`no such host ${host}`));
};

Deno.test("client mode: remotes resolved per family, non-IP answers dropped", async () => {
  assert.deepEqual(
    await resolveRemotes([
      { host: "198.18.0.1", port: 1194, proto: "tcp" },
      { host: "gw.example", port: 1195, proto: "tcp" },
      { host: "gw.example", port: 1196, proto: "tcp6" },
    ], lookup),
    [
      { ip: "198.18.0.1", port: 1194, proto: "tcp" },
      { ip: "198.18.0.7", port: 1195, proto: "tcp" },
      { ip: "2001:db8::7", port: 1196, proto: "tcp6" },
    ],
  );
});

Deno.test("bad input: client mode with no resolvable remote is a clear error", async () => {
  await assert.rejects(
    resolveRemotes([{ host: "nowhere.example", port: 1194, proto: "tcp" }], lookup),
    /no such host nowhere\.example/,
  );
  await assert.rejects(
    resolveRemotes([{ host: "gw.example", port: 1194, proto: "udp" }], () => Promise.resolve([])),
    /no address for any --client remote/,
  );
});
