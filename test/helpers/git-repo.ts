import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Dev",
      GIT_AUTHOR_EMAIL: "dev@example.com",
      GIT_COMMITTER_NAME: "Dev",
      GIT_COMMITTER_EMAIL: "dev@example.com",
    },
  }).trim();

/** A bare repository behind a file:// URL, with a work clone to commit from. */
export function makeRepo(root: string) {
  const bare = path.join(root, "origin.git");
  const work = path.join(root, "work");
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "clone", "-q", bare, work);
  git(work, "checkout", "-q", "-b", "main");
  return {
    url: `file://${bare}`,
    /** Writes files, commits them on a branch and pushes; returns the commit id. */
    commit(files: Record<string, string>, message: string, branch = "main"): string {
      const current = git(work, "symbolic-ref", "--short", "HEAD");
      if (current !== branch) {
        const exists = git(work, "branch", "--list", branch) !== "";
        git(work, "checkout", "-q", ...(exists ? [branch] : ["-b", branch]));
      }
      for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
        fs.writeFileSync(path.join(work, name), content, { mode: 0o755 });
      }
      git(work, "add", "-A");
      git(work, "commit", "-q", "-m", message);
      git(work, "push", "-q", "origin", branch);
      return git(work, "rev-parse", "HEAD");
    },
  };
}
