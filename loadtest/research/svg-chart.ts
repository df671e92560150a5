/**
 * A small SVG chart renderer for the offline reports: line charts (with optional confidence bands) and
 * grouped bar charts, as self-contained <svg> strings (no scripts, no external fonts). Colours follow a
 * colour-blind-safe palette (Okabe–Ito).
 */

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Optional band around the line (same x as points): [x, low, high]. */
  band?: readonly (readonly [number, number, number])[];
  dashed?: boolean;
}

export interface LineChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  width?: number;
  height?: number;
  /** Force the y axis to include these values (e.g. 0 and 1 for rates). */
  yDomain?: readonly [number, number];
}

export interface BarChartSpec {
  id: string;
  title: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly { name: string; values: readonly number[]; errors?: readonly (readonly [number, number])[] }[];
  width?: number;
  height?: number;
}

export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#999999"];

const M = { top: 46, right: 16, bottom: 44, left: 58 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** "Nice" tick values covering [lo, hi] (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[0]! > lo) out.unshift(Number((out[0]! - step).toPrecision(12)));
  if (out[out.length - 1]! < hi) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(1);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  return String(Number(v.toPrecision(4)));
}

function frame(id: string, kind: string, w: number, h: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${escapeXml(id)}" data-kind="${kind}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeXml(title)}">` +
    `<rect width="${w}" height="${h}" fill="#ffffff"/>` +
    `<text x="${w / 2}" y="20" text-anchor="middle" font-family="sans-serif" font-size="14" font-weight="bold">${escapeXml(title)}</text>` +
    body +
    `</svg>`
  );
}

function axes(w: number, h: number, xt: { v: number; px: number }[], yt: { v: number; py: number }[], xLabel: string, yLabel: string, xText?: (v: number) => string): string {
  const x0 = M.left, y0 = h - M.bottom, x1 = w - M.right, y1 = M.top;
  let s = `<g class="axes" font-family="sans-serif" font-size="11" fill="#333">`;
  for (const t of yt) {
    s += `<line x1="${x0}" x2="${x1}" y1="${t.py.toFixed(1)}" y2="${t.py.toFixed(1)}" stroke="#e3e3e3"/>`;
    s += `<text x="${x0 - 6}" y="${(t.py + 4).toFixed(1)}" text-anchor="end">${escapeXml(fmt(t.v))}</text>`;
  }
  for (const t of xt) s += `<text x="${t.px.toFixed(1)}" y="${y0 + 16}" text-anchor="middle">${escapeXml(xText ? xText(t.v) : fmt(t.v))}</text>`;
  s += `<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#333"/><line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#333"/>`;
  s += `<text x="${(x0 + x1) / 2}" y="${h - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`;
  s += `<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`;
  return s + `</g>`;
}

function legend(names: readonly string[], w: number): string {
  if (names.length <= 1) return "";
  let s = `<g class="legend" font-family="sans-serif" font-size="11">`;
  let x = M.left + 8;
  let y = 27;
  for (let i = 0; i < names.length; i++) {
    const label = names[i]!;
    const width = 22 + label.length * 6.5;
    if (x + width > w - M.right) {
      x = M.left + 8;
      y += 11;
    }
    s += `<rect x="${x}" y="${y}" width="12" height="4" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 16}" y="${y + 6}">${escapeXml(label)}</text>`;
    x += width;
  }
  return s + `</g>`;
}

/** A line chart; empty series render as an empty frame with a "no data" note. */
export function lineChart(spec: LineChartSpec): string {
  const w = spec.width ?? 640, h = spec.height ?? 300;
  const pts = spec.series.flatMap((s) => s.points);
  const bandPts = spec.series.flatMap((s) => (s.band ?? []).flatMap(([x, lo, hi]) => [[x, lo], [x, hi]] as const));
  const all = [...pts, ...bandPts].filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (all.length === 0) {
    return frame(spec.id, "line", w, h, spec.title, `<text x="${w / 2}" y="${h / 2}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#777">no data</text>`);
  }
  let xmin = Math.min(...all.map((p) => p[0])), xmax = Math.max(...all.map((p) => p[0]));
  let ymin = Math.min(...all.map((p) => p[1])), ymax = Math.max(...all.map((p) => p[1]));
  if (spec.yDomain) {
    ymin = Math.min(ymin, spec.yDomain[0]);
    ymax = Math.max(ymax, spec.yDomain[1]);
  }
  if (xmax === xmin) xmax = xmin + 1;
  const yt = niceTicks(ymin, ymax, 5);
  const xt = niceTicks(xmin, xmax, 6).filter((v) => v >= xmin - 1e-9 && v <= xmax + 1e-9);
  ymin = yt[0]!;
  ymax = yt[yt.length - 1]!;
  const X = (x: number) => M.left + ((x - xmin) / (xmax - xmin)) * (w - M.left - M.right);
  const Y = (y: number) => h - M.bottom - ((y - ymin) / (ymax - ymin || 1)) * (h - M.top - M.bottom);
  let body = axes(w, h, xt.map((v) => ({ v, px: X(v) })), yt.map((v) => ({ v, py: Y(v) })), spec.xLabel, spec.yLabel);
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    if (s.band && s.band.length > 1) {
      const upper = s.band.map(([x, , hi]) => `${X(x).toFixed(1)},${Y(hi).toFixed(1)}`);
      const lower = [...s.band].reverse().map(([x, lo]) => `${X(x).toFixed(1)},${Y(lo).toFixed(1)}`);
      body += `<polygon class="band" points="${[...upper, ...lower].join(" ")}" fill="${color}" fill-opacity="0.18" stroke="none"/>`;
    }
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (p.length === 0) return;
    const d = p.map(([x, y], k) => `${k === 0 ? "M" : "L"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join("");
    body += `<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`;
    if (p.length === 1) body += `<circle class="series" cx="${X(p[0]![0]).toFixed(1)}" cy="${Y(p[0]![1]).toFixed(1)}" r="3" fill="${color}"/>`;
  });
  body += legend(spec.series.map((s) => s.name), w);
  return frame(spec.id, "line", w, h, spec.title, body);
}

/** A grouped bar chart (optional error bars [low, high] per bar). */
export function barChart(spec: BarChartSpec): string {
  const w = spec.width ?? 640, h = spec.height ?? 300;
  const vals = spec.series.flatMap((s) => [...s.values, ...(s.errors ?? []).flat()]).filter(Number.isFinite);
  if (spec.categories.length === 0 || vals.length === 0) {
    return frame(spec.id, "bar", w, h, spec.title, `<text x="${w / 2}" y="${h / 2}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#777">no data</text>`);
  }
  const yt = niceTicks(Math.min(0, ...vals), Math.max(0, ...vals), 5);
  const ymin = yt[0]!, ymax = yt[yt.length - 1]!;
  const Y = (y: number) => h - M.bottom - ((y - ymin) / (ymax - ymin || 1)) * (h - M.top - M.bottom);
  const groupW = (w - M.left - M.right) / spec.categories.length;
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, spec.series.length));
  let body = axes(w, h, [], yt.map((v) => ({ v, py: Y(v) })), "", spec.yLabel);
  body += `<g font-family="sans-serif" font-size="11" fill="#333">`;
  spec.categories.forEach((c, j) => {
    body += `<text x="${(M.left + groupW * (j + 0.5)).toFixed(1)}" y="${h - M.bottom + 16}" text-anchor="middle">${escapeXml(c)}</text>`;
  });
  body += `</g>`;
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    s.values.forEach((v, j) => {
      if (!Number.isFinite(v)) return;
      const x = M.left + groupW * j + groupW * 0.1 + barW * i;
      const y = Y(Math.max(0, v)), y0 = Y(Math.min(0, v));
      body += `<rect class="bar" data-series="${escapeXml(s.name)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, y0 - y).toFixed(1)}" fill="${color}"><title>${escapeXml(`${s.name} ${spec.categories[j]}: ${fmt(v)}`)}</title></rect>`;
      const e = s.errors?.[j];
      if (e && Number.isFinite(e[0]) && Number.isFinite(e[1])) {
        const cx = x + barW / 2;
        body += `<path class="error" d="M${cx.toFixed(1)},${Y(e[0]).toFixed(1)}V${Y(e[1]).toFixed(1)}M${(cx - 4).toFixed(1)},${Y(e[0]).toFixed(1)}h8M${(cx - 4).toFixed(1)},${Y(e[1]).toFixed(1)}h8" stroke="#222" stroke-width="1.2" fill="none"/>`;
      }
    });
  });
  body += legend(spec.series.map((s) => s.name), w);
  return frame(spec.id, "bar", w, h, spec.title, body);
}
