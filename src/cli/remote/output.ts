/** Where the client writes: results to stdout, progress and the log's chatter to stderr. */
export type Term = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Rewrites the current stderr line (a terminal only). */
  status: (text: string) => void;
  tty: boolean;
};

const MiB = 1024 * 1024;
export const size = (n: number) =>
  n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/**
 * Upload progress: a bar redrawn in place on a terminal; otherwise a plain line at each
 * quarter, so CI logs stay short.
 */
export function progress(term: Term, total: number, label: string) {
  let lastQuarter = -1;
  return {
    update(done: number) {
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      if (term.tty) {
        const width = 28;
        const full = Math.round(ratio * width);
        term.status(
          `${label} [${"#".repeat(full)}${"-".repeat(width - full)}] ${Math.floor(ratio * 100)}% ${size(done)} of ${size(total)}`,
        );
        return;
      }
      const quarter = Math.floor(ratio * 4);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        term.err(`${label}: ${quarter * 25}% (${size(done)} of ${size(total)})`);
      }
    },
    done() {
      if (term.tty) term.status("");
    },
  };
}

/** Rows under a header, in padded columns. */
export function columns(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
