import fs from "node:fs";
import path from "node:path";

/**
 * A .berthignore: gitignore-like lines. `#` comments, `!` re-includes, `*` within a path
 * segment, `**` across segments, a leading `/` anchors to the folder, a trailing `/`
 * matches directories only. `.git` and `.berthignore` are always left out.
 */
export type Ignore = (relPath: string, isDir: boolean) => boolean;

type Rule = { re: RegExp; negate: boolean; dirOnly: boolean };

function toRegExp(pattern: string): RegExp {
  const anchored = pattern.startsWith("/") || pattern.slice(0, -1).includes("/");
  const body = pattern
    .replace(/^\//, "")
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) =>
      part === "**/" || part === "**"
        ? ".*"
        : part === "*"
          ? "[^/]*"
          : part === "?"
            ? "[^/]"
            : part.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`${anchored ? "^" : "(^|/)"}${body}(/.*)?$`);
}

export function parseIgnore(text: string): Ignore {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    const pattern = negate ? line.slice(1) : line;
    const dirOnly = pattern.endsWith("/");
    rules.push({ re: toRegExp(dirOnly ? pattern.slice(0, -1) : pattern), negate, dirOnly });
  }
  return (rel, isDir) => {
    const first = rel.split("/")[0];
    if (first === ".git" || rel === ".berthignore") return true;
    let ignored = false;
    for (const r of rules) {
      if (r.dirOnly && !isDir && !r.re.test(path.posix.dirname(rel))) continue;
      if (r.re.test(rel)) ignored = !r.negate;
    }
    return ignored;
  };
}

export function loadIgnore(dir: string): Ignore {
  const file = path.join(dir, ".berthignore");
  return parseIgnore(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
}
