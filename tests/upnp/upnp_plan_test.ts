/** When the node uses UPnP (spec §13.1): explicit, implicit, off. */
import assert from "node:assert/strict";
import { upnpPlan } from "../../lib/node/upnp/upnp_plan.ts";

const PP = [
  { port: 1194, proto: "tcp" as const },
  { port: 1195, proto: "udp" as const },
  { port: 1196, proto: "tcp6" as const },
];

Deno.test("upnp plan: --ip upnp explicit, no IPv4 --ip implicit, address or any off", () => {
  const servers = [{ proto: "tcp", port: 1194 }, { proto: "udp", port: 1195 }];
  assert.deepEqual(upnpPlan(["upnp"], PP), { mode: "explicit", servers });
  assert.deepEqual(upnpPlan([], PP), { mode: "implicit", servers });
  assert.deepEqual(upnpPlan(["2001:db8::1"], PP), { mode: "implicit", servers });
  assert.equal(upnpPlan(["any"], PP).mode, "off");
  assert.equal(upnpPlan(["198.18.0.1", "2001:db8::1"], PP).mode, "off");
  assert.deepEqual(upnpPlan(["upnp"], [PP[2]]), { mode: "off", servers: [] });
});
