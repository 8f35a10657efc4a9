/**
 * The monitored fleet's stand-in: a plain node:http server answering 200 "ok", in its own
 * process so its CPU is not counted as Berth's. With `--reference N INTERVAL_S`, it also
 * plays the reference monitor: a bare loop that GETs N URLs every INTERVAL_S seconds
 * (spread evenly), with keep-alive, and nothing else: no scheduler, no database.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const server = http.createServer((_req, res) => res.end("ok"));
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});

const [, , flag, n, interval, port] = process.argv;
if (flag === "--reference") {
  const count = Number(n);
  const periodMs = Number(interval) * 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  for (let i = 0; i < count; i++) {
    const fire = () => {
      const req = http.get(
        { host: "127.0.0.1", port: Number(port), path: `/m/${i}`, agent },
        (res) => {
          res.resume();
        },
      );
      req.on("error", () => undefined);
    };
    setTimeout(
      () => {
        fire();
        setInterval(fire, periodMs);
      },
      (i * periodMs) / count,
    );
  }
}
