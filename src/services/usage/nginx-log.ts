import fs from "node:fs";
import path from "node:path";

/**
 * In nginx mode nginx serves the sites, so Berth counts their traffic from nginx's access
 * logs: one file per environment, `<data>/logs/nginx/<service>--<env>.log`, combined format.
 */
export function usageLogFile(dataDir: string, service: string, env: string): string {
  const dir = path.join(dataDir, "logs", "nginx");
  // nginx refuses a configuration whose log directory is missing: make it with the name
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${service}--${env}.log`);
}

/** `"GET / HTTP/1.1" 200 1234 "` → status and body bytes; null for a line it cannot read. */
export function parseCombinedLine(line: string): { status: number; bytes: number } | null {
  const m = /" (\d{3}) (\d+|-) "/.exec(line);
  if (!m) return null;
  return { status: Number(m[1]), bytes: m[2] === "-" ? 0 : Number(m[2]) };
}

type Counter = { add(environmentId: number, requests: number, bytes: number): void };

/**
 * Reads what nginx appended to each environment's log since the last look and adds it to
 * the traffic counter. Files present at start are read from their end (what came before was
 * counted by the previous run, or is lost); a file that shrank was rotated: read from 0.
 */
export function createNginxLogReader(
  dataDir: string,
  environmentOf: (service: string, env: string) => number | undefined,
  counter: Counter,
) {
  const dir = path.join(dataDir, "logs", "nginx");
  const offsets = new Map<string, number>();
  const list = () => {
    try {
      return fs.readdirSync(dir).filter((f) => /^[a-z][a-z0-9-]*--[a-z][a-z0-9-]*\.log$/.test(f));
    } catch {
      return [];
    }
  };
  for (const f of list()) offsets.set(f, fs.statSync(path.join(dir, f)).size);

  const readOne = (file: string) => {
    const full = path.join(dir, file);
    const size = fs.statSync(full).size;
    let from = offsets.get(file) ?? 0;
    if (size < from) from = 0;
    if (size === from) return;
    const fd = fs.openSync(full, "r");
    try {
      // at most 64 MiB a look; the rest waits for the next one
      const length = Math.min(size - from, 64 * 1024 * 1024);
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, from);
      const text = buf.toString("utf8");
      const end = text.lastIndexOf("\n") + 1; // a half-written last line waits too
      const [service = "", env = ""] = file.slice(0, -4).split("--");
      const id = environmentOf(service, env);
      let requests = 0;
      let bytes = 0;
      for (const line of text.slice(0, end).split("\n")) {
        const hit = parseCombinedLine(line);
        if (!hit) continue;
        requests++;
        bytes += hit.bytes;
      }
      if (id !== undefined && requests > 0) counter.add(id, requests, bytes);
      offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
    } finally {
      fs.closeSync(fd);
    }
  };

  const read = (): void => {
    for (const f of list()) readOne(f);
  };
  return {
    read,
    start(everyMs = 30_000, onError: (err: unknown) => void = () => undefined): () => void {
      const timer = setInterval(() => {
        try {
          read();
        } catch (err) {
          onError(err);
        }
      }, everyMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
