// The server's entry point: the compile cache and the runtime settings first, then
// everything else (a dynamic import, so that they apply to every module it loads).
import module from "node:module";
import { tuneRuntime } from "./boot/runtime.ts";

module.enableCompileCache?.();
tuneRuntime();
await import("./server.ts");
