import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export type BareRepo = {
  /** file:// URL of the bare repository, as a source is configured with. */
  url: string;
  /** Commits files on a branch of the work clone and pushes; returns the commit sha. */
  commit(files: Record<string, string>, message: string, branch?: string): string;
};

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=Berth Test", "-c", "user.email=test@example.com", ...args],
    { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  ).trim();

/** A bare repository under `dir` with a work clone that pushes to it; `main` has one commit. */
export function createBareRepo(dir: string, files: Record<string, string>): BareRepo {
  const bare = path.join(dir, "origin.git");
  const work = path.join(dir, "work");
  fs.mkdirSync(dir, { recursive: true });
  git(dir, "init", "--quiet", "--bare", "--initial-branch=main", bare);
  git(dir, "clone", "--quiet", bare, work);
  const repo: BareRepo = {
    url: `file://${bare}`,
    commit(content, message, branch = "main") {
      if (git(work, "branch", "--list", branch) !== "") git(work, "checkout", "--quiet", branch);
      else if (git(work, "branch", "--list") !== "") git(work, "checkout", "--quiet", "-b", branch);
      else git(work, "symbolic-ref", "HEAD", `refs/heads/${branch}`); // nothing committed yet
      for (const [name, text] of Object.entries(content)) {
        fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
        fs.writeFileSync(path.join(work, name), text);
      }
      git(work, "add", "--all");
      git(work, "commit", "--quiet", "-m", message);
      git(work, "push", "--quiet", "origin", branch);
      return git(work, "rev-parse", "HEAD");
    },
  };
  repo.commit(files, "initial commit");
  return repo;
}
