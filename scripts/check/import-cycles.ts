/**
 * Fails when the imports under src/ form a cycle, or when a layer imports one it must
 * not (domain/ only itself; adapters/ only domain/; http/ never db/). Run by `npm run check`.
 */
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../../src");
const importRe =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?\sfrom\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

const graph = new Map<string, string[]>();
for (const file of sources(root)) {
  const text = fs.readFileSync(file, "utf8");
  const deps: string[] = [];
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec) deps.push(path.resolve(path.dirname(file), spec));
  }
  graph.set(file, deps);
}

const rel = (f: string) => path.relative(root, f);
const layer = (f: string) => rel(f).split(path.sep)[0] ?? "";
/** Which layers each layer may import (besides itself). */
const allowed: Record<string, readonly string[]> = {
  domain: [],
  adapters: ["domain"],
  db: ["domain"],
};
const problems: string[] = [];
for (const [file, deps] of graph) {
  const from = layer(file);
  const may = allowed[from];
  for (const dep of deps) {
    const to = layer(dep);
    if (may && to !== from && !may.includes(to))
      problems.push(
        `${rel(file)} imports ${rel(dep)}: ${from}/ may import only ${[from, ...may].join(", ")}`,
      );
    if (from === "http" && to === "db")
      problems.push(`${rel(file)} imports ${rel(dep)}: http/ never imports db/`);
  }
}

// Tarjan's strongly connected components: any component of more than one file is a cycle
let index = 0;
const idx = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function visit(v: string): void {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
  }
  if (low.get(v) === idx.get(v)) {
    const scc: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (scc.length > 1 || selfLoop)
      problems.push(`import cycle: ${scc.map(rel).sort().join(" ↔ ")}`);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) visit(v);

if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`imports: ${graph.size} files, no cycles, layers respected\n`);
