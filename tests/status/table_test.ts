import assert from "node:assert/strict";
import { formatAge, renderTable } from "../../lib/status/table.ts";

Deno.test("table: columns as wide as their widest cell, numbers right-aligned, no trailing spaces", () => {
  const out = renderTable(["PEER", "STATE", "ROUTES"], [
    ["2/16", "up", 12],
    ["65535/16", "connecting", 3],
    ["7/16", null, 0],
  ]);
  assert.equal(
    out,
    [
      "PEER      STATE       ROUTES",
      "2/16      up              12",
      "65535/16  connecting       3",
      "7/16      -                0",
    ].join("\n"),
  );
});

Deno.test("table: a header longer than the cells, empty and mixed columns", () => {
  assert.equal(renderTable(["A", "LONG HEADER"], []), "A  LONG HEADER");
  // a column mixing numbers and text is left-aligned
  assert.equal(renderTable(["X", "Y"], [[1, "a"], ["bb", "c"]]), "X   Y\n1   a\nbb  c");
});

Deno.test("table: control characters from the node cannot reach the terminal", () => {
  const out = renderTable(["IFACE"], [["eth\x1b[2J0\n"]]);
  assert.equal(out, "IFACE\neth?[2J0?");
});

Deno.test("ages: seconds, minutes, hours, days; nonsense shown as -", () => {
  assert.equal(formatAge(0), "0s");
  assert.equal(formatAge(59.9), "59s");
  assert.equal(formatAge(312), "5m12s");
  assert.equal(formatAge(3 * 3600 + 5 * 60 + 9), "3h05m");
  assert.equal(formatAge(2 * 86400 + 4 * 3600), "2d04h");
  assert.equal(formatAge(null), "-");
  assert.equal(formatAge(-1), "-");
  assert.equal(formatAge(NaN), "-");
});
