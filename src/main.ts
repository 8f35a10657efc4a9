// The server's entry point: runtime settings first, then everything else (a
// dynamic import, so that they apply to every module the server loads).
import { tuneRuntime } from "./boot/runtime.ts";

tuneRuntime();
await import("./server.ts");
