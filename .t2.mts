const { tuneRuntime } = await import("./src/boot/runtime.ts");
tuneRuntime();
const mods = process.argv.slice(2);
const m0 = process.memoryUsage().rss;
for (const m of mods) { const a = process.memoryUsage().rss; await import(m); globalThis.gc?.(); console.log(m, "+", ((process.memoryUsage().rss - a) / 1048576).toFixed(0)); }
console.log("total rss", (process.memoryUsage().rss / 1048576).toFixed(0));
