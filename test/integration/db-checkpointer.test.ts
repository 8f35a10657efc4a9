import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { startCheckpointer } from "../../src/db/checkpointer.ts";
import { openDb } from "../../src/db/client.ts";

let dir = "";
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it("a worker thread moves committed pages from the WAL into the database file", async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-ckpt-"));
  const file = path.join(dir, "berth.db");
  const db = openDb(file);
  const stop = startCheckpointer(db, file, { everyMs: 50 });
  const before = fs.statSync(file).size;
  db.$client.exec("CREATE TABLE filler (x BLOB)");
  const insert = db.$client.prepare("INSERT INTO filler (x) VALUES (?)");
  for (let i = 0; i < 200; i++) insert.run(Buffer.alloc(4096, i));
  // 200 pages is far below the main connection's own threshold now: only the worker moves them
  const deadline = Date.now() + 10_000;
  while (fs.statSync(file).size < before + 200 * 4096) {
    if (Date.now() > deadline) throw new Error("the database file never grew: no checkpoint ran");
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop();
  expect(db.$client.prepare("SELECT count(*) AS n FROM filler").get()).toEqual({ n: 200 });
  db.$client.close();
});
