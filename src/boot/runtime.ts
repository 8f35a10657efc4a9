import { registerHooks } from "node:module";
import v8 from "node:v8";

// Packages loaded through their CommonJS build even where our ESM imports them:
// drizzle-orm's ESM build is some 400 small modules, and loading them through
// the ESM loader costs ~110 MB more RSS than the same code through require().
const COMMONJS_FIRST = /^drizzle-orm(\/|$)/;

/**
 * Settings for a small, steady footprint, applied by the entry points before
 * anything else is loaded (so they must import the rest dynamically):
 * - the young generation does not grow past its first size: start-up makes a
 *   burst of short-lived garbage, and V8 would otherwise grow the semi-spaces to
 *   tens of MB and keep them resident for good (more than half of idle RSS);
 * - drizzle-orm resolves to its CommonJS build.
 */
export function tuneRuntime(): void {
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (!COMMONJS_FIRST.test(specifier)) return nextResolve(specifier, context);
      const conditions = (context.conditions ?? []).map((c) => (c === "import" ? "require" : c));
      return nextResolve(specifier, { ...context, conditions });
    },
  });
}
