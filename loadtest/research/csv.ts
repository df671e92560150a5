/** Rows of plain objects to CSV (RFC 4180 quoting); arrays become `name_0, name_1, ...` columns. */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const flat = rows.map(flatten);
  const cols = columns ?? unionKeys(flat);
  const lines = [cols.map(cell).join(",")];
  for (const r of flat) lines.push(cols.map((c) => cell(r[c])).join(","));
  return lines.join("\n") + "\n";
}

function flatten(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (Array.isArray(v)) v.forEach((x, i) => (out[`${k}_${i}`] = x));
    else out[k] = v;
  }
  return out;
}

function unionKeys(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
