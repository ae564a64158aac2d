/** `--help` text generated from a role's option schema. */
import { arity, hasLongName, type OptionSpec, type Schema } from "./schema.ts";

function optionLabel(o: OptionSpec): string {
  const metavar = arity(o.kind) === 0 ? "" : ` ${o.metavar ?? (o.kind === "int" ? "N" : "VALUE")}`;
  const names = !hasLongName(o)
    ? `-${o.short}`
    : o.short
    ? `-${o.short}, --${o.name}`
    : `    --${o.name}`;
  return names + metavar;
}

function optionHelp(o: OptionSpec): string {
  const notes: string[] = [];
  if (o.required) notes.push("required");
  if (o.kind === "list" || o.kind === "pairs") notes.push("repeatable");
  if (o.default !== undefined) notes.push(`default: ${o.default === "" ? "''" : o.default}`);
  return notes.length ? `${o.help} (${notes.join("; ")})` : o.help;
}

/** Full help text: usage line, description, one entry per option, config-file note. */
export function helpText(schema: Schema<unknown>): string {
  const rows = [
    ...schema.options.map((o) => [optionLabel(o), optionHelp(o)]),
    ["-h, --help", "show this help and exit"],
  ];
  const width = Math.min(32, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([label, text]) =>
    label.length + 2 > width
      ? `  ${label}\n  ${" ".repeat(width)}${text}`
      : `  ${label.padEnd(width)}${text}`
  );
  return [
    `usage: ${schema.prog} [options] [@config-file ...]`,
    "",
    schema.description,
    "",
    "options:",
    ...lines,
    "",
    "An argument @FILE reads more arguments from FILE, one option per line without leading",
    "dashes ('pp 1194 tcp', 'O--verb'); lines starting with # are ignored.",
  ].join("\n");
}
