/**
 * Evaluation of `--test` expressions with Python's semantics (truth values, `and`/`or` returning
 * an operand, chained comparisons, `True == 1`, `in` on strings and sequences, `len`), and the
 * exit status Python's `sys.exit(value)` gives: None → 0, False → 0, True → 1, an int → that int
 * (low 8 bits, as the OS keeps them), anything else → printed on stderr, status 1.
 * Type errors (e.g. `None < 1`) throw ExpressionError.
 */
import { type CompareOp, type Expr, ExpressionError } from "./parse.ts";

/** A Python value: None, bool, int, str, list or tuple. */
export type PyValue = null | boolean | bigint | string | PySeq;

/** A Python list or tuple. */
export interface PySeq {
  kind: "list" | "tuple";
  items: readonly PyValue[];
}

/** Names an expression may use. */
export type Namespace = ReadonlyMap<string, PyValue>;

function isSeq(v: PyValue): v is PySeq {
  return typeof v === "object" && v !== null;
}

function typeName(v: PyValue): string {
  if (v === null) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  if (typeof v === "string") return "str";
  return v.kind;
}

/** Python truth value. */
export function truthy(v: PyValue): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "string") return v.length > 0;
  return v.items.length > 0;
}

function asInt(v: PyValue): bigint | undefined {
  return typeof v === "bigint" ? v : typeof v === "boolean" ? (v ? 1n : 0n) : undefined;
}

function quote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(
    /[\\\n\r\t]/g,
    (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]!,
  )
    .replaceAll(q, `\\${q}`);
  return q + body + q;
}

/** Python `repr`. */
export function pyRepr(v: PyValue): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return quote(v);
  const inner = v.items.map(pyRepr).join(", ");
  if (v.kind === "list") return `[${inner}]`;
  return v.items.length === 1 ? `(${inner},)` : `(${inner})`;
}

/** Python `str`. */
export function pyStr(v: PyValue): string {
  return typeof v === "string" ? v : pyRepr(v);
}

/** Python `==`. */
export function pyEqual(a: PyValue, b: PyValue): boolean {
  const x = asInt(a), y = asInt(b);
  if (x !== undefined || y !== undefined) return x === y;
  if (isSeq(a) && isSeq(b)) {
    return a.kind === b.kind && a.items.length === b.items.length &&
      a.items.every((item, i) => pyEqual(item, b.items[i]));
  }
  return a === b;
}

/** Python ordering: negative, zero or positive; throws on unorderable types. */
function pyOrder(a: PyValue, b: PyValue, op: string): number {
  const x = asInt(a), y = asInt(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") {
    const ca = [...a].map((c) => c.codePointAt(0)!), cb = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
      if (ca[i] !== cb[i]) return ca[i] - cb[i];
    }
    return ca.length - cb.length;
  }
  if (isSeq(a) && isSeq(b) && a.kind === b.kind) {
    for (let i = 0; i < Math.min(a.items.length, b.items.length); i++) {
      if (!pyEqual(a.items[i], b.items[i])) return pyOrder(a.items[i], b.items[i], op);
    }
    return a.items.length - b.items.length;
  }
  throw new ExpressionError(
    `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}

function contains(container: PyValue, item: PyValue): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") {
      throw new ExpressionError(
        `'in <string>' requires string as left operand, not ${typeName(item)}`,
      );
    }
    return container.includes(item);
  }
  if (isSeq(container)) return container.items.some((x) => pyEqual(x, item));
  throw new ExpressionError(`argument of type '${typeName(container)}' is not iterable`);
}

function isSingleton(v: PyValue): boolean {
  return v === null || typeof v === "boolean";
}

function compare(op: CompareOp, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case "==":
      return pyEqual(a, b);
    case "!=":
      return !pyEqual(a, b);
    case "<":
      return pyOrder(a, b, op) < 0;
    case "<=":
      return pyOrder(a, b, op) <= 0;
    case ">":
      return pyOrder(a, b, op) > 0;
    case ">=":
      return pyOrder(a, b, op) >= 0;
    case "in":
      return contains(b, a);
    case "not in":
      return !contains(b, a);
    case "is":
    case "is not": {
      if (!isSingleton(a) && !isSingleton(b)) {
        throw new ExpressionError(`'${op}' is only supported with None, True or False`);
      }
      return (a === b) === (op === "is");
    }
  }
}

function len(v: PyValue): bigint {
  if (typeof v === "string") return BigInt([...v].length);
  if (isSeq(v)) return BigInt(v.items.length);
  throw new ExpressionError(`object of type '${typeName(v)}' has no len()`);
}

/** Evaluates `e` over `names`; throws ExpressionError (unknown name, type error). */
export function evaluate(e: Expr, names: Namespace): PyValue {
  switch (e.type) {
    case "const":
      return e.value;
    case "name": {
      const v = names.get(e.name);
      if (v === undefined) throw new ExpressionError(`name '${e.name}' is not defined`);
      return v;
    }
    case "call":
      if (e.fn !== "len") throw new ExpressionError(`unsupported function '${e.fn}' (only len)`);
      return len(evaluate(e.arg, names));
    case "seq":
      return { kind: e.kind, items: e.items.map((x) => evaluate(x, names)) };
    case "neg": {
      const v = evaluate(e.operand, names);
      const n = asInt(v);
      if (n === undefined) {
        throw new ExpressionError(`bad operand type for unary -: '${typeName(v)}'`);
      }
      return -n;
    }
    case "not":
      return !truthy(evaluate(e.operand, names));
    case "bool": {
      const left = evaluate(e.left, names);
      if (truthy(left) === (e.op === "or")) return left;
      return evaluate(e.right, names);
    }
    case "compare": {
      let left = evaluate(e.first, names);
      for (const { op, right } of e.rest) {
        const r = evaluate(right, names);
        if (!compare(op, left, r)) return false;
        left = r;
      }
      return true;
    }
  }
}

/** What `sys.exit(value)` does: the exit status, and the text printed on stderr if any. */
export function exitOf(v: PyValue): { status: number; stderr?: string } {
  if (v === null) return { status: 0 };
  const n = asInt(v);
  if (n !== undefined) return { status: Number(BigInt.asUintN(8, n)) };
  return { status: 1, stderr: pyStr(v) };
}
