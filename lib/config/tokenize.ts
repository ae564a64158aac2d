/**
 * Shell-style splitting of one configuration-file line (spec §2.4): whitespace separates
 * words, single quotes are literal, double quotes allow `\` escapes of `\ " $ \``, and a
 * backslash outside quotes escapes the next character. `#` has no special meaning here.
 */

/** Splits `line` into words; throws an Error with a short reason on unterminated quotes. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error("unterminated double quote");
        const d = line[i];
        if (d === '"') break;
        if (d === "\\" && i + 1 < line.length && '\\"$`'.includes(line[i + 1])) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new Error("backslash at end of line");
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
