import { unprocessable } from "../../domain/errors.ts";

/**
 * The argv for one build command the user typed as a line: `/bin/sh -c <line>`, run in
 * the build's own working directory with a cleaned environment. Running the user's own
 * shell line is the point of a build step, so the line goes to the shell verbatim.
 * This is the only place Berth hands a string to a shell, and it only ever receives a
 * command line the user entered as a command: Berth's own code never builds shell
 * strings from other input (git, nginx, dns... all run as argv arrays).
 */
export function commandArgv(line: string): string[] {
  if (line.trim() === "") {
    throw unprocessable("invalid_command", "A build command must not be empty.", "commands");
  }
  if (line.includes("\0")) {
    throw unprocessable(
      "invalid_command",
      "A build command must not contain a NUL byte.",
      "commands",
    );
  }
  return ["/bin/sh", "-c", line];
}
