/** Shapes for the inline SVG charts: computed here from numbers, drawn by the templates. */
export type Bucket = { bucket: number; up: number; down: number; avgMs: number };

const HOUR = 3_600_000;

/**
 * Uptime bars: `n` equal slices of the last `hours`, drawn as one path per colour (green
 * all up, amber mostly, red less, grey no data), so a row of the list stays small.
 */
export function uptimeBars(
  buckets: Bucket[] | undefined,
  now: number,
  hours = 24,
  n = 24,
  width = 192,
) {
  const span = (hours * HOUR) / n;
  const start = now - hours * HOUR;
  const slots = Array.from({ length: n }, () => ({ up: 0, down: 0 }));
  for (const b of buckets ?? []) {
    const slot = slots[Math.max(0, Math.floor((b.bucket - start) / span))];
    if (!slot) continue;
    slot.up += b.up;
    slot.down += b.down;
  }
  const step = width / n;
  const bar = Math.max(1, step - 1);
  const paths = new Map<string, string>();
  let up = 0;
  let total = 0;
  slots.forEach((s, i) => {
    const t = s.up + s.down;
    up += s.up;
    total += t;
    const ratio = t ? s.up / t : null;
    const fill =
      ratio === null ? "#d1d5db" : ratio === 1 ? "#2e8540" : ratio >= 0.9 ? "#b26a00" : "#c62828";
    paths.set(
      fill,
      `${paths.get(fill) ?? ""}M${(i * step).toFixed(1)} 0h${bar.toFixed(1)}v16h-${bar.toFixed(1)}z`,
    );
  });
  return {
    width,
    paths: [...paths].map(([fill, d]) => ({ fill, d })),
    title: total
      ? `${((up / total) * 100).toFixed(2)}% up over ${hours} h (${total} checks)`
      : "no data yet",
  };
}

/** A response-time sparkline: SVG polyline points in a width×height box, oldest first. */
export function sparkline(values: number[], width = 120, height = 24) {
  if (values.length < 2) return { points: "", max: values[0] ?? null };
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
    .join(" ");
  return { points, max };
}
