import { escapeXml } from "./svg-chart.ts";

/** A self-contained HTML page (inline CSS, inline SVG, no scripts or external resources): works offline. */
export function htmlPage(title: string, sections: readonly { heading: string; html: string }[]): string {
  const nav = sections.map((s, i) => `<a href="#s${i}">${escapeXml(s.heading)}</a>`).join(" · ");
  const body = sections.map((s, i) => `<section id="s${i}"><h2>${escapeXml(s.heading)}</h2>${s.html}</section>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1340px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
nav{font-size:13px;margin-bottom:10px}nav a{color:#0060a0;text-decoration:none}
.charts{display:flex;flex-wrap:wrap;gap:14px}.charts svg{border:1px solid #e6e6e6;background:#fff}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.note{font-size:12.5px;color:#555;max-width:1100px}.good{color:#006d2c;font-weight:600}.bad{color:#a50f15;font-weight:600}
pre{font-size:11.5px;background:#f7f7f7;padding:8px;overflow:auto;max-height:420px}
</style></head>
<body><h1>${escapeXml(title)}</h1><nav>${nav}</nav>
${body}
</body></html>
`;
}

export function charts(svgs: readonly string[]): string {
  return `<div class="charts">${svgs.join("\n")}</div>`;
}

export function table(head: readonly string[], rows: readonly (readonly (string | number | null)[])[], cls = "data"): string {
  const th = head.map((h) => `<th>${escapeXml(h)}</th>`).join("");
  const tr = rows
    .map((r) => `<tr>${r.map((c) => (typeof c === "string" && c.startsWith("<span") ? `<td>${c}</td>` : `<td>${escapeXml(c === null ? "–" : String(c))}</td>`)).join("")}</tr>`)
    .join("\n");
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

export function note(text: string): string {
  return `<p class="note">${escapeXml(text)}</p>`;
}

export function details(summary: string, content: string): string {
  return `<details><summary>${escapeXml(summary)}</summary><pre>${escapeXml(content)}</pre></details>`;
}
