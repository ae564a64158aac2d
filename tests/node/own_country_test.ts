/**
 * Our own country (spec §10.8, statement 58): `--country` wins; otherwise, while `same_country`
 * is distributed, each of our addresses is asked once to the registry, unknown answers are
 * remembered, failed questions are retried later, and the per-family getters used by the
 * endpoint filter follow our current addresses.
 */
import assert from "node:assert/strict";
import { COUNTRY_RETRY_MS, OwnCountry } from "../../lib/node/own_country.ts";

const ANSWERS: Record<string, string> = { "198.18.1.1": "FR", "2001:db8::1": "DE" };

function registry(failing = new Set<string>()) {
  const asked: string[] = [];
  const ask = (ip: string) => {
    asked.push(ip);
    return Promise.resolve(failing.has(ip) ? undefined : ANSWERS[ip] ?? "");
  };
  return { asked, ask };
}

Deno.test("statement 58: our country per address and family comes from the registry", async () => {
  const r = registry();
  const own = new OwnCountry({ ask: r.ask });
  assert.equal(
    await own.update(["198.18.1.1"]),
    false,
    "same_country not distributed: no question",
  );
  assert.deepEqual(r.asked, []);
  own.enabled = true;
  assert.equal(await own.update(["198.18.1.1", "2001:db8::1", "198.18.1.1"]), true);
  assert.deepEqual(r.asked, ["198.18.1.1", "2001:db8::1"]);
  assert.equal(own.of("198.18.1.1"), "FR");
  assert.deepEqual([own.ipv4, own.ipv6], ["FR", "DE"]);
  assert.equal(await own.update(["198.18.1.1", "2001:db8::1"]), false, "asked once per address");
  assert.equal(r.asked.length, 2);
  assert.equal(await own.update(["198.18.2.2"]), false, "unknown to the registry (204)");
  assert.equal(own.of("198.18.2.2"), undefined);
  assert.deepEqual([own.ipv4, own.ipv6], [undefined, undefined], "follows our current addresses");
  await own.update(["198.18.2.2"]);
  assert.equal(r.asked.length, 3, "unknown answers are remembered");
  own.enabled = false;
  assert.equal(own.of("198.18.1.1"), undefined, "no country once same_country is withdrawn");
});

Deno.test("statement 58: --country overrides the registry", async () => {
  const r = registry();
  const own = new OwnCountry({ fixed: "JP", ask: r.ask });
  own.enabled = true;
  assert.equal(await own.update(["198.18.1.1"]), false);
  assert.deepEqual(r.asked, []);
  assert.deepEqual([own.of("198.18.1.1"), own.ipv4, own.ipv6], ["JP", "JP", "JP"]);
});

Deno.test("own country: failed questions are retried later; one settle run at a time", async () => {
  const failing = new Set(["198.18.1.1"]);
  const r = registry(failing);
  const own = new OwnCountry({ ask: r.ask });
  own.enabled = true;
  const timers: Array<[number, () => void]> = [];
  let learnt = 0;
  let addresses = ["198.18.1.1"];
  const hooks = {
    addresses: () => addresses,
    learnt: () => learnt++,
    later: (ms: number, fn: () => void) => timers.push([ms, fn]),
  };
  const first = own.settle(hooks);
  assert.equal(own.settle(hooks), first, "a second call joins the running one");
  await first;
  assert.equal(learnt, 0);
  assert.equal(timers.length, 1);
  assert.equal(timers[0][0], COUNTRY_RETRY_MS);
  failing.clear();
  addresses = ["198.18.1.1", "2001:db8::1"];
  timers[0][1]();
  await own.settle(hooks);
  assert.ok(learnt >= 1);
  assert.deepEqual([own.ipv4, own.ipv6], ["FR", "DE"]);
  assert.equal(timers.length, 1, "no retry once answered");
});

Deno.test("own country: a throwing registry call or hook is logged, never an unhandled rejection", async () => {
  const own = new OwnCountry({ ask: () => Promise.reject(new Error("registry refused (403)")) });
  own.enabled = true;
  assert.equal(await own.update(["198.18.1.1"]), undefined, "a failed question");
  const ok = new OwnCountry({ ask: () => Promise.resolve("FR") });
  ok.enabled = true;
  const timers: number[] = [];
  await ok.settle({
    addresses: () => ["198.18.1.1"],
    learnt: () => {
      throw new Error("database is closed");
    },
    later: (ms) => timers.push(ms),
  });
  assert.deepEqual(timers, [], "no retry after the hook failed");
});
