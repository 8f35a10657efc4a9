import fs from "node:fs";
import os from "node:os";

export type HostSample = {
  at: number;
  /** Percent of all cores busy since the previous sample. */
  cpu: number;
  memUsed: number;
  memTotal: number;
  diskUsed: number;
  diskTotal: number;
  load1: number;
};

const cpuTimes = () =>
  os.cpus().reduce(
    (acc, c) => {
      const t = c.times;
      acc.busy += t.user + t.nice + t.sys + t.irq;
      acc.total += t.user + t.nice + t.sys + t.irq + t.idle;
      return acc;
    },
    { busy: 0, total: 0 },
  );

/**
 * Berth's host: CPU, memory, disk of the data directory and load, sampled on a timer into
 * a ring kept in memory (a day at one a minute). A restart starts the graphs afresh.
 */
export function createHostSampler(dataDir: string, keep = 1440, clock: () => number = Date.now) {
  const ring: HostSample[] = [];
  let last = cpuTimes();
  const sample = (): HostSample => {
    const now = cpuTimes();
    const total = now.total - last.total;
    const cpu = total > 0 ? ((now.busy - last.busy) / total) * 100 : 0;
    last = now;
    let diskUsed = 0;
    let diskTotal = 0;
    try {
      const s = fs.statfsSync(dataDir);
      diskTotal = s.blocks * s.bsize;
      diskUsed = (s.blocks - s.bfree) * s.bsize;
    } catch {
      // the data directory is gone or unreadable: report no disk rather than fail
    }
    const s: HostSample = {
      at: clock(),
      cpu: Math.round(cpu * 10) / 10,
      memUsed: os.totalmem() - os.freemem(),
      memTotal: os.totalmem(),
      diskUsed,
      diskTotal,
      load1: os.loadavg()[0] ?? 0,
    };
    ring.push(s);
    if (ring.length > keep) ring.shift();
    return s;
  };
  return {
    sample,
    /** The samples kept, oldest first; takes one first if there are none yet. */
    samples(): HostSample[] {
      if (ring.length === 0) sample();
      return ring;
    },
    start(everyMs = 60_000): () => void {
      sample();
      const timer = setInterval(sample, everyMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

export type HostSampler = ReturnType<typeof createHostSampler>;
