import assert from "node:assert/strict";
import { waitFor } from "../../lib/netns/wait.ts";

Deno.test("waitFor returns the first truthy probe value", async () => {
  let n = 0;
  assert.equal(await waitFor(() => ++n >= 3 && n, { timeoutMs: 2_000, intervalMs: 1 }), 3);
});

Deno.test("waitFor's timeout message describes the last state when `what` is a function", async () => {
  let last = "";
  await assert.rejects(
    waitFor(() => {
      last = `probe ${Date.now()}`;
      return false;
    }, { timeoutMs: 30, intervalMs: 5, what: () => `the thing (last: ${last})` }),
    (e: Error) => {
      assert.match(e.message, /^timed out after 30 ms waiting for the thing \(last: probe \d+\)$/);
      return true;
    },
  );
});

Deno.test("waitFor quotes the last error of a throwing probe", async () => {
  await assert.rejects(
    waitFor(() => {
      throw new Error("boom");
    }, { timeoutMs: 20, intervalMs: 5, what: "x" }),
    /waiting for x \(last error: Error: boom\)/,
  );
});
