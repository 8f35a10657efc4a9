/** Shapes for the inline SVG charts: computed here from numbers, drawn by the templates. */
export type Bucket = { bucket: number; up: number; down: number; avgMs: number };

const HOUR = 3_600_000;

/** Uptime bars: `n` equal slices of the last `hours`, each green, amber, red or empty. */
export function uptimeBars(buckets: Bucket[] | undefined, now: number, hours = 24, n = 48) {
  const span = (hours * HOUR) / n;
  const start = now - hours * HOUR;
  const slots = Array.from({ length: n }, () => ({ up: 0, down: 0 }));
  for (const b of buckets ?? []) {
    const i = Math.floor((b.bucket - start) / span);
    const slot = slots[i];
    if (!slot) continue;
    slot.up += b.up;
    slot.down += b.down;
  }
  return slots.map((s, i) => {
    const total = s.up + s.down;
    const ratio = total ? s.up / total : null;
    const fill =
      ratio === null ? "#d1d5db" : ratio === 1 ? "#2e8540" : ratio >= 0.9 ? "#b26a00" : "#c62828";
    const title = ratio === null ? "no data" : `${(ratio * 100).toFixed(1)}% up (${total} checks)`;
    return { x: i * 4, fill, title };
  });
}

/** A response-time sparkline over the last minutes: SVG polyline points in a 120×24 box. */
export function sparkline(buckets: Bucket[] | undefined, width = 120, height = 24, last = 60) {
  const values = (buckets ?? []).slice(-last).map((b) => b.avgMs);
  if (values.length < 2) return { points: "", max: values[0] ?? null };
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
    .join(" ");
  return { points, max };
}
