import { stdin, stdout } from "node:process";

/**
 * A password from standard input: its first line when piped (as `passwd --stdin` reads
 * it), a hidden prompt on a terminal, asked twice when `confirm` is set.
 */
export async function readPassword(
  prompt: string,
  opts: { confirm?: boolean } = {},
): Promise<string> {
  if (!stdin.isTTY) return firstLine();
  const first = await hidden(prompt);
  if (opts.confirm) {
    const again = await hidden("Again, to confirm: ");
    if (again !== first) throw new Error("The two passwords differ: nothing was changed.");
  }
  return first;
}

async function firstLine(): Promise<string> {
  let text = "";
  for await (const chunk of stdin) {
    text += (chunk as Buffer).toString("utf8");
    const end = text.indexOf("\n");
    if (end >= 0) {
      stdin.destroy();
      return text.slice(0, end).replace(/\r$/, "");
    }
  }
  return text.replace(/\r$/, "");
}

async function hidden(prompt: string): Promise<string> {
  stdout.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  let value = "";
  try {
    for await (const chunk of stdin) {
      for (const ch of chunk as string) {
        if (ch === "\r" || ch === "\n") return value;
        if (ch === "\u0003") throw new Error("cancelled");
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    }
    return value;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stdout.write("\n");
  }
}
