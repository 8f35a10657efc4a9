import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractArchive } from "../../src/adapters/archive/index.ts";
import { packDirectory } from "../../src/adapters/archive/zip-writer.ts";
import { LIMITS, Sandbox } from "../helpers/archive-sandbox.ts";

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = new Sandbox();
});
afterEach(() => sandbox.cleanup());

async function pack(dir: string): Promise<{ bytes: Buffer; files: number }> {
  const zip = packDirectory(dir);
  const chunks: Buffer[] = [];
  for await (const chunk of zip.chunks) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), files: zip.fileCount() };
}

describe("packDirectory", () => {
  it("zips a directory that the validating reader takes back byte for byte", async () => {
    const out = join(sandbox.root, "out");
    const media = randomBytes(300_000); // incompressible: stored
    mkdirSync(join(out, "assets/js"), { recursive: true });
    mkdirSync(join(out, "empty"));
    writeFileSync(join(out, "index.html"), "<p>hi</p>".repeat(1000));
    writeFileSync(join(out, "assets/js/app.js"), "console.log(1);");
    writeFileSync(join(out, "assets/media.bin"), media);
    symlinkSync(join(out, "index.html"), join(out, "home.html"));
    writeFileSync(join(sandbox.root, "secret.txt"), "outside");
    symlinkSync(join(sandbox.root, "secret.txt"), join(out, "leak.txt"));

    const { bytes, files } = await pack(out);
    expect(files).toBe(4);
    const file = sandbox.write("artifact.zip", bytes);
    const summary = await extractArchive(file, "zip", sandbox.staging, LIMITS);
    expect(summary.fileCount).toBe(4);
    const read = (p: string) => readFileSync(join(sandbox.staging, p));
    expect(read("index.html").toString()).toBe("<p>hi</p>".repeat(1000));
    expect(read("home.html").toString()).toBe("<p>hi</p>".repeat(1000));
    expect(read("assets/js/app.js").toString()).toBe("console.log(1);");
    expect(read("assets/media.bin").equals(media)).toBe(true);
    expect(readdirSync(sandbox.staging).sort()).toEqual(["assets", "home.html", "index.html"]);
  });

  it("gives an empty zip and no files for an empty directory", async () => {
    const out = join(sandbox.root, "out");
    mkdirSync(out);
    const { bytes, files } = await pack(out);
    expect(files).toBe(0);
    expect(bytes.length).toBe(22);
  });
});
