/** How a command talks to its user: lines out, lines to stderr, a password prompt. */
export type Io = {
  out: (line: string) => void;
  err: (line: string) => void;
  /** `confirm`: a new password, asked twice on a terminal. */
  password: (prompt: string, opts?: { confirm?: boolean }) => Promise<string>;
};
