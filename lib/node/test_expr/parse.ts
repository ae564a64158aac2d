/**
 * Parser of `--test` expressions: a small, safe subset of Python expressions (no `eval`).
 *
 * Grammar (Python precedence):
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | compare
 *   compare := unary (cmpop unary)*          (chained like Python: a < b < c)
 *   cmpop   := == != < <= > >= in "not in" is "is not"
 *   unary   := "-" unary | atom
 *   atom    := INT | STRING | True | False | None | NAME | NAME "(" expr ")"
 *            | "(" expr ")" | "(" [expr ("," expr)* [","]] ")" | "[" [expr ("," expr)* [","]] "]"
 */

/** A parsed expression. */
export type Expr =
  | { type: "const"; value: null | boolean | bigint | string }
  | { type: "name"; name: string }
  | { type: "call"; fn: string; arg: Expr }
  | { type: "seq"; kind: "list" | "tuple"; items: Expr[] }
  | { type: "neg"; operand: Expr }
  | { type: "not"; operand: Expr }
  | { type: "bool"; op: "and" | "or"; left: Expr; right: Expr }
  | { type: "compare"; first: Expr; rest: Array<{ op: CompareOp; right: Expr }> };

/** Comparison operators. */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not";

/** A malformed expression; the message is one line. */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

type Token =
  | { kind: "int"; value: bigint; at: number }
  | { kind: "str"; value: string; at: number }
  | { kind: "name"; value: string; at: number }
  | { kind: "op"; value: string; at: number }
  | { kind: "end"; at: number };

const KEYWORDS = new Set(["and", "or", "not", "in", "is", "True", "False", "None"]);
const OPS = ["==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", "-"];
const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
};

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    const num = /^(?:0[xX][0-9a-fA-F]+|\d+)/.exec(text.slice(i));
    if (num) {
      if (/^0\d/.test(num[0])) throw new ExpressionError(`bad integer '${num[0]}' at ${at}`);
      out.push({ kind: "int", value: BigInt(num[0]), at });
      i += num[0].length;
      if (/[\w]/.test(text[i] ?? "")) throw new ExpressionError(`bad number at ${at}`);
      continue;
    }
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i));
    if (word) {
      out.push({ kind: "name", value: word[0], at });
      i += word[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let s = "";
      i++;
      for (;;) {
        const d = text[i++];
        if (d === undefined || d === "\n") {
          throw new ExpressionError(`unterminated string at ${at}`);
        }
        if (d === c) break;
        if (d === "\\") {
          const e = text[i++];
          if (e === undefined || !(e in ESCAPES)) {
            throw new ExpressionError(`unsupported escape in string at ${i - 2}`);
          }
          s += ESCAPES[e];
        } else s += d;
      }
      out.push({ kind: "str", value: s, at });
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected character '${c}' at ${at}`);
    out.push({ kind: "op", value: op, at });
    i += op.length;
  }
  out.push({ kind: "end", at: text.length });
  return out;
}

class Parser {
  #t: Token[];
  #i = 0;

  constructor(tokens: Token[]) {
    this.#t = tokens;
  }

  get #peek(): Token {
    return this.#t[this.#i];
  }

  #is(value: string, offset = 0): boolean {
    const t = this.#t[this.#i + offset];
    return (t.kind === "op" || t.kind === "name") && t.value === value;
  }

  #expect(value: string): void {
    if (!this.#is(value)) throw this.#unexpected(`expected '${value}'`);
    this.#i++;
  }

  #unexpected(why = "unexpected"): ExpressionError {
    const t = this.#peek;
    const what = t.kind === "end" ? "end of expression" : `'${String(t.value)}'`;
    return new ExpressionError(`${why}: ${what} at ${t.at}`);
  }

  parse(): Expr {
    const e = this.#or();
    if (this.#peek.kind !== "end") throw this.#unexpected();
    return e;
  }

  #or(): Expr {
    let left = this.#and();
    while (this.#is("or")) {
      this.#i++;
      left = { type: "bool", op: "or", left, right: this.#and() };
    }
    return left;
  }

  #and(): Expr {
    let left = this.#not();
    while (this.#is("and")) {
      this.#i++;
      left = { type: "bool", op: "and", left, right: this.#not() };
    }
    return left;
  }

  #not(): Expr {
    if (this.#is("not")) {
      this.#i++;
      return { type: "not", operand: this.#not() };
    }
    return this.#compare();
  }

  #compareOp(): CompareOp | undefined {
    for (const op of ["==", "!=", "<=", ">=", "<", ">", "in"] as const) {
      if (this.#is(op)) {
        this.#i++;
        return op;
      }
    }
    if (this.#is("not") && this.#is("in", 1)) {
      this.#i += 2;
      return "not in";
    }
    if (this.#is("is")) {
      this.#i++;
      if (this.#is("not")) {
        this.#i++;
        return "is not";
      }
      return "is";
    }
    return undefined;
  }

  #compare(): Expr {
    const first = this.#unary();
    const rest: Array<{ op: CompareOp; right: Expr }> = [];
    for (let op = this.#compareOp(); op; op = this.#compareOp()) {
      rest.push({ op, right: this.#unary() });
    }
    return rest.length ? { type: "compare", first, rest } : first;
  }

  #unary(): Expr {
    if (this.#is("-")) {
      this.#i++;
      return { type: "neg", operand: this.#unary() };
    }
    return this.#atom();
  }

  #items(close: string): { items: Expr[]; comma: boolean } {
    const items: Expr[] = [];
    let comma = false;
    while (!this.#is(close)) {
      items.push(this.#or());
      if (!this.#is(",")) break;
      this.#i++;
      comma = true;
    }
    this.#expect(close);
    return { items, comma };
  }

  #atom(): Expr {
    const t = this.#peek;
    if (t.kind === "int" || t.kind === "str") {
      this.#i++;
      return { type: "const", value: t.value };
    }
    if (t.kind === "name") {
      this.#i++;
      if (t.value === "True" || t.value === "False") {
        return { type: "const", value: t.value === "True" };
      }
      if (t.value === "None") return { type: "const", value: null };
      if (KEYWORDS.has(t.value)) {
        this.#i--;
        throw this.#unexpected();
      }
      if (this.#is("(")) {
        this.#i++;
        const { items, comma } = this.#items(")");
        if (items.length !== 1 || comma) {
          throw new ExpressionError(`${t.value}() takes exactly one argument (at ${t.at})`);
        }
        return { type: "call", fn: t.value, arg: items[0] };
      }
      return { type: "name", name: t.value };
    }
    if (this.#is("(")) {
      this.#i++;
      const { items, comma } = this.#items(")");
      if (items.length === 1 && !comma) return items[0];
      return { type: "seq", kind: "tuple", items };
    }
    if (this.#is("[")) {
      this.#i++;
      return { type: "seq", kind: "list", items: this.#items("]").items };
    }
    throw this.#unexpected();
  }
}

/** Parses a `--test` expression; throws ExpressionError on malformed input. */
export function parseExpression(text: string): Expr {
  if (text.length > 10_000) throw new ExpressionError("expression too long");
  try {
    return new Parser(tokenize(text)).parse();
  } catch (e) {
    if (e instanceof RangeError) throw new ExpressionError("expression nested too deeply");
    throw e;
  }
}
