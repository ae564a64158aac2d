import assert from "node:assert/strict";
import { shellSplit } from "../../lib/config/tokenize.ts";

Deno.test("shell-style splitting honours quotes and escapes and keeps '#'", () => {
  assert.deepEqual(shellSplit("pp 1194  tcp"), ["pp", "1194", "tcp"]);
  assert.deepEqual(shellSplit(`up 'ip link set x up' "a \\"b\\" \\n"`), [
    "up",
    "ip link set x up",
    'a "b" \\n',
  ]);
  assert.deepEqual(shellSplit(`a\\ b c''d ""`), ["a b", "cd", ""]);
  assert.deepEqual(shellSplit("verbose 3 # debug"), ["verbose", "3", "#", "debug"]);
  assert.deepEqual(shellSplit("   "), []);
});

Deno.test("unterminated quotes and a trailing backslash are errors", () => {
  assert.throws(() => shellSplit("up 'echo"), /unterminated single quote/);
  assert.throws(() => shellSplit('up "echo'), /unterminated double quote/);
  assert.throws(() => shellSplit("up echo\\"), /backslash at end of line/);
});
