/** How a command talks to its user: lines out, lines to stderr, a password prompt. */
export type Io = {
  out: (line: string) => void;
  err: (line: string) => void;
  password: (prompt: string) => Promise<string>;
};
