import http from "node:http";
import net from "node:net";

/** A local HTTP server whose answer a test switches: up (200 "ok"), down (503) or closed. */
export async function flakyHttp() {
  let mode: "up" | "down" = "up";
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    if (mode === "up") res.end("all systems ok");
    else {
      res.statusCode = 503;
      res.end("unavailable");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    up: () => {
      mode = "up";
    },
    down: () => {
      mode = "down";
    },
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TCP listener a test opens and closes on the same port. */
export async function flakyTcp() {
  let server: net.Server | null = null;
  const sockets = new Set<net.Socket>();
  const open = (port = 0) =>
    new Promise<number>((resolve) => {
      const srv = net.createServer((s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.end();
      });
      server = srv;
      srv.listen(port, "127.0.0.1", () => resolve((srv.address() as net.AddressInfo).port));
    });
  const port = await open();
  return {
    port,
    up: () => open(port),
    down: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server?.close(() => r());
      }),
  };
}

/** A clock a test moves by hand. */
export function manualClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}
