/**
 * Just enough XML for UPnP device descriptions and SOAP answers: find elements by local name
 * (namespace prefixes ignored), take their text, decode entities. Tolerant by design — no
 * validation, comments and CDATA handled — and never throws: anything unrecognised is skipped.
 */

/** One element found by `elements`: its local name and raw inner XML. */
export interface XmlElement {
  name: string;
  inner: string;
}

const COMMENT = /<!--[\s\S]*?-->/g;

/**
 * Every element whose local name is `localName` (case-sensitive, any prefix), outermost
 * first, with its inner XML. Self-closing elements have empty inner XML. An unclosed element
 * is ignored.
 */
export function elements(xml: string, localName: string): XmlElement[] {
  const text = xml.replace(COMMENT, "");
  const out: XmlElement[] = [];
  const open = new RegExp(`<(?:[\\w.-]+:)?${escapeRe(localName)}(?=[\\s/>])[^>]*?(/?)>`, "g");
  for (let m = open.exec(text); m; m = open.exec(text)) {
    if (m[1] === "/") {
      out.push({ name: localName, inner: "" });
      continue;
    }
    const end = closingIndex(text, localName, open.lastIndex);
    if (end === undefined) continue;
    out.push({ name: localName, inner: text.slice(open.lastIndex, end.start) });
    open.lastIndex = end.after;
  }
  return out;
}

/** Text of the first `localName` element inside `xml` (trimmed, entities decoded). */
export function firstText(xml: string, localName: string): string | undefined {
  const [e] = elements(xml, localName);
  return e === undefined ? undefined : textOf(e.inner);
}

/** Text content of inner XML: CDATA kept verbatim, tags dropped, entities decoded, trimmed. */
export function textOf(inner: string): string {
  let out = "";
  const parts = inner.split(/(<!\[CDATA\[[\s\S]*?\]\]>)/);
  for (const part of parts) {
    if (part.startsWith("<![CDATA[")) out += part.slice(9, -3);
    else out += decodeEntities(part.replace(/<[^>]*>/g, ""));
  }
  return out.trim();
}

/** Decodes the five predefined entities and numeric character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (all, e: string) => {
    switch (e) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    const code = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

/** Escapes text for use as XML element content. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Finds the `</name>` matching an element opened just before `from`, counting nesting. */
function closingIndex(
  text: string,
  name: string,
  from: number,
): { start: number; after: number } | undefined {
  const tag = new RegExp(`<(/?)(?:[\\w.-]+:)?${escapeRe(name)}(?=[\\s/>])[^>]*?(/?)>`, "g");
  tag.lastIndex = from;
  let depth = 1;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    if (m[1] === "/") {
      if (--depth === 0) return { start: m.index, after: tag.lastIndex };
    } else if (m[2] !== "/") depth++;
  }
  return undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
