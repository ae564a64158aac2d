/**
 * The registry admin page as HTML (pure): nodes (sortable table, revoke with a confirmation
 * step), tokens (create, delete) and the topology picture. Every piece of data is escaped;
 * every state-changing form is a POST carrying the page's CSRF token; the only script (column
 * sorting; after a POST, turning the history entry into a GET) carries the page's CSP nonce.
 */
import type { TokenRow } from "./db.ts";
import type { NodeSummary } from "./service.ts";

/** Everything one rendering of the page shows. */
export interface AdminView {
  nodes: NodeSummary[];
  tokens: TokenRow[];
  /** Inline SVG of the topology, or undefined when the local node did not answer. */
  topologySvg?: string;
  /** CSRF token of this page. */
  csrf: string;
  /** CSP nonce of this page's script. */
  nonce: string;
  /** Outcome of the action just done. */
  notice?: { ok: boolean; text: string };
  /** Node whose revocation must be confirmed. */
  confirmRevoke?: NodeSummary;
  /** Current time, seconds since the epoch. */
  now: number;
}

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const h = escapeHtml;

/** `2026-11-22 01:02 UTC`. */
export function formatDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#1b1f23;background:#f6f7f9;margin:0}
header{background:#1d4f82;color:#fff;padding:12px 24px}
header h1{font-size:18px;margin:0}
main{max-width:1100px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:16px 0}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef1;vertical-align:middle}
th button{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer}
th button::after{content:" \\2195";color:#999}
td.num{font-variant-numeric:tabular-nums}
.soon{color:#a15c00}.expired{color:#b00020;font-weight:600}
.muted{color:#6a737d}
.notice{padding:8px 12px;border-radius:4px;margin:16px 0}
.notice.ok{background:#e6f4ea;border:1px solid #9ad0a8}
.notice.error{background:#fdecea;border:1px solid #f0a8a0}
.confirm{border-color:#d9534f}
form.inline{display:inline;margin:0}
input[type=text],input[type=email]{padding:4px 6px;border:1px solid #c4c9cf;border-radius:4px}
button.action{padding:4px 10px;border:1px solid #1d4f82;border-radius:4px;background:#1d4f82;
color:#fff;cursor:pointer}
button.danger{border-color:#b00020;background:#b00020}
a.revoke{color:#b00020}
code{font-size:13px}
.topology svg{max-width:100%;height:auto}
`;

/** After a POST: the history entry becomes a plain GET, so reloading sends nothing again. */
const FORGET_POST = `history.replaceState(null, "", location.pathname);`;

const SCRIPT = `
for (const table of document.querySelectorAll("table.sortable")) {
  table.querySelectorAll("th button").forEach((button, col) => {
    button.addEventListener("click", () => {
      const body = table.tBodies[0];
      const dir = button.dataset.dir === "asc" ? -1 : 1;
      button.dataset.dir = dir === 1 ? "asc" : "desc";
      const key = (row) => row.cells[col].dataset.sort ?? row.cells[col].textContent;
      const rows = [...body.rows].sort((a, b) => {
        const x = key(a), y = key(b);
        const n = Number(x) - Number(y);
        return dir * (Number.isNaN(n) ? x.localeCompare(y) : n);
      });
      body.append(...rows);
    });
  });
}
`;

function csrfField(v: AdminView): string {
  return `<input type="hidden" name="csrf" value="${h(v.csrf)}">`;
}

function expiry(notAfter: number, now: number): string {
  const cls = notAfter <= now ? "expired" : notAfter - now < 30 * 86400 ? "soon" : "";
  return `<td class="num ${cls}" data-sort="${notAfter}">${h(formatDate(notAfter))}</td>`;
}

function nodesSection(v: AdminView): string {
  const rows = v.nodes.map((n) =>
    `<tr data-cn="${h(n.cn)}"><td data-sort="${h(n.prefix)}"><code>${h(n.cn)}</code>${
      n.registryNode ? ' <span class="muted">(registry)</span>' : ""
    }</td><td>${n.email === null ? '<span class="muted">anonymous</span>' : h(n.email)}</td>` +
    `<td class="num">${n.subjectSerial}</td><td class="num">${n.serial}</td>` +
    expiry(n.notAfter, v.now) +
    `<td>${
      n.registryNode
        ? ""
        : `<a class="revoke" href="/admin?revoke=${encodeURIComponent(n.cn)}">Revoke…</a>`
    }</td></tr>`
  );
  const head = ["CN", "E-mail", "Subject serial", "X.509 serial", "Expires"]
    .map((t) => `<th><button type="button">${t}</button></th>`).join("");
  return `<section id="nodes"><h2>Nodes (${v.nodes.length})</h2>` +
    (rows.length
      ? `<table class="sortable"><thead><tr>${head}<th></th></tr></thead><tbody>` +
        rows.join("") + `</tbody></table>`
      : `<p class="muted">No node is registered.</p>`) +
    `</section>`;
}

function tokensSection(v: AdminView): string {
  const rows = v.tokens.map((t) =>
    `<tr data-token="${h(t.token)}"><td><code>${h(t.token)}</code></td><td>${h(t.email)}</td>` +
    `<td class="num">/${t.prefixLen}</td><td class="num">${h(formatDate(t.date))}</td>` +
    `<td><form class="inline" method="post" action="/admin">${csrfField(v)}` +
    `<input type="hidden" name="action" value="delete-token">` +
    `<input type="hidden" name="token" value="${h(t.token)}">` +
    `<button class="action danger" type="submit">Delete</button></form></td></tr>`
  );
  return `<section id="tokens"><h2>Tokens (${v.tokens.length})</h2>` +
    (rows.length
      ? `<table><thead><tr><th>Token</th><th>E-mail</th><th>Prefix</th><th>Created</th>` +
        `<th></th></tr></thead><tbody>${rows.join("")}</tbody></table>`
      : `<p class="muted">No pending token.</p>`) +
    `<form id="create-token" method="post" action="/admin" style="margin-top:10px">` +
    csrfField(v) + `<input type="hidden" name="action" value="add-token">` +
    `<label>E-mail <input type="email" name="email" required maxlength="254"></label> ` +
    `<label>Token <input type="text" name="token" maxlength="64" ` +
    `placeholder="generated if empty"></label> ` +
    `<button class="action" type="submit">Create token</button></form></section>`;
}

function confirmSection(v: AdminView, n: NodeSummary): string {
  return `<section class="confirm" id="confirm-revoke"><h2>Revoke ${h(n.cn)}?</h2>` +
    `<p>Node <code>${h(n.cn)}</code> (${n.email === null ? "anonymous" : h(n.email)}, ` +
    `X.509 serial ${n.serial}) loses its certificate: the serial joins the revocation list ` +
    `and the prefix is freed. This cannot be undone.</p>` +
    `<form method="post" action="/admin">${csrfField(v)}` +
    `<input type="hidden" name="action" value="revoke">` +
    `<input type="hidden" name="cn" value="${h(n.cn)}">` +
    `<button class="action danger" type="submit">Revoke ${h(n.cn)}</button> ` +
    `<a href="/admin">Cancel</a></form></section>`;
}

function topologySection(v: AdminView): string {
  const body = v.topologySvg === undefined
    ? `<p class="muted">No topology: the registry's own node did not answer ` +
      `(it is not running, or no node is registered yet).</p>`
    : v.topologySvg.replace(/^<\?xml[^>]*\?>\s*/, "");
  return `<section id="topology" class="topology"><h2>Topology</h2>${body}</section>`;
}

/** The whole page. */
export function renderAdminPage(v: AdminView): string {
  const notice = v.notice
    ? `<div class="notice ${v.notice.ok ? "ok" : "error"}" role="status">${h(v.notice.text)}</div>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>re6st registry — admin</title><style>${STYLE}</style></head>
<body><header><h1>re6st registry</h1></header><main>
${notice}${v.confirmRevoke ? confirmSection(v, v.confirmRevoke) : ""}
${nodesSection(v)}
${tokensSection(v)}
${topologySection(v)}
</main><script nonce="${h(v.nonce)}">${v.notice ? FORGET_POST : ""}${SCRIPT}</script>
</body></html>
`;
}
