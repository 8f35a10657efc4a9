/**
 * Small inline SVG charts. They take numbers only and print numbers only, so their output
 * is safe to insert unescaped.
 */

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

/** Bars, one per value, scaled to the largest, drawn as one path; zero is a thin base line. */
export function sparkline(values: readonly number[], width = 120, height = 24): string {
  const max = Math.max(1, ...values);
  const w = width / Math.max(1, values.length);
  const bar = fmt(Math.max(1, w - 1));
  const d = values
    .map((v, i) => {
      const h = v === 0 ? 1 : Math.max(2, (v / max) * (height - 2));
      return `M${fmt(i * w)} ${fmt(height - h)}h${bar}v${fmt(h)}h-${bar}z`;
    })
    .join("");
  const total = values.reduce((a, b) => a + b, 0);
  return `<svg class="spark${total === 0 ? " zero" : ""}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${total} in the period"><path d="${d}"/></svg>`;
}

/** A filled line chart of a series (for usage graphs); `max` fixes the scale (100 for %). */
export function areaChart(
  series: readonly number[],
  opts: { width?: number; height?: number; max?: number; label?: string } = {},
): string {
  // one sample (just after start) draws as a flat line
  const values = series.length === 1 ? [series[0] as number, series[0] as number] : series;
  const width = opts.width ?? 240;
  const height = opts.height ?? 48;
  const max = opts.max ?? Math.max(1, ...values);
  const n = Math.max(2, values.length);
  const x = (i: number) => fmt((i / (n - 1)) * width);
  const y = (v: number) => fmt(height - (Math.min(v, max) / max) * (height - 2) - 1);
  const pts = values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
  const area =
    values.length > 0
      ? `<polygon class="area" points="0,${height} ${pts} ${x(values.length - 1)},${height}"/>`
      : "";
  const label = (opts.label ?? "").replace(/[^\w %.,:/()-]/g, "");
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${label}">${area}<polyline class="line" points="${pts}"/></svg>`;
}

/** A row of cells, up (ok) or down, for an uptime bar; null is "no data". */
export function uptimeBar(cells: readonly (boolean | null)[], width = 120, height = 14): string {
  const w = width / Math.max(1, cells.length);
  const rects = cells
    .map(
      (c, i) =>
        `<rect x="${fmt(i * w)}" y="0" width="${fmt(Math.max(1, w - 1))}" height="${height}" class="${c === null ? "none" : c ? "up" : "down"}"/>`,
    )
    .join("");
  return `<svg class="uptime" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="uptime">${rects}</svg>`;
}
