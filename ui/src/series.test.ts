/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { align, foldTopN, groupsFrom, rowsFrom } from "./series";

const T0 = "2026-11-27T10:00:00.000Z";
const T1 = "2026-11-27T10:01:00.000Z";
const ms = (s: string) => Date.parse(s);

test("bucketed aggregate results become one group per key", () => {
  const g = groupsFrom(
    [
      { groupKey: { customer_id: "c1" }, points: [{ timestamp: T0, value: 1, count: 2 }, { timestamp: T1, value: null, count: 1 }] },
      { groupKey: { customer_id: "" }, points: [{ timestamp: T1, value: 3, count: 1 }] },
    ],
    ["customer_id"],
  );
  assert.deepEqual(g.map((x) => x.label), ["c1", "(none)"]);
  assert.deepEqual(g[0].points, [{ t: ms(T0), v: 1 }, { t: ms(T1), v: null }]);
});

test("rate without groupBy is one flat list of buckets", () => {
  const g = groupsFrom([{ timestamp: T0, rate: 0.5 }, { timestamp: T1, rate: 1.5 }], []);
  assert.equal(g.length, 1);
  assert.equal(g[0].label, "all");
  assert.deepEqual(rowsFrom([{ timestamp: T0, rate: 0.5 }], []), [{ key: {}, label: "all", value: 0.5, count: null }]);
});

test("table rows keep the server's rank order", () => {
  const rows = rowsFrom([{ groupKey: { a: "x", b: "y" }, value: 9, count: 3 }, { groupKey: { a: "z", b: "" }, value: 1, count: 1 }], ["a", "b"]);
  assert.deepEqual(rows.map((r) => [r.label, r.value, r.count]), [["x · y", 9, 3], ["z · (none)", 1, 1]]);
});

test("top N: foldable sums the rest per timestamp, others hide it", () => {
  const gs = [5, 4, 3, 2].map((v, i) => ({ key: { k: String(i) }, label: String(i), points: [{ t: 1, v }, { t: 2, v: i === 3 ? null : v }] }));
  const folded = foldTopN(gs, 2, true);
  assert.equal(folded.shown.length, 3);
  assert.ok(folded.other);
  assert.equal(folded.shown[2].label, "other (2 groups)");
  assert.deepEqual(folded.shown[2].points, [{ t: 1, v: 5 }, { t: 2, v: 3 }]);
  const hidden = foldTopN(gs.slice(0, 2), 2, false, 4);
  assert.deepEqual([hidden.shown.length, hidden.other, hidden.hidden], [2, false, 2]);
});

test("align fills missing buckets with null (drawn as gaps)", () => {
  const data = align([
    { key: {}, label: "a", points: [{ t: 1000, v: 1 }] },
    { key: {}, label: "b", points: [{ t: 2000, v: 2 }] },
  ]);
  assert.deepEqual(data, [[1, 2], [1, null], [null, 2]]);
});
