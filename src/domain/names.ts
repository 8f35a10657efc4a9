import { unprocessable } from "./errors.ts";

/** Service and environment names: lowercase DNS-label words, at most 30 characters. */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const NAME_MAX = 30;

export function nameProblem(name: string): string | null {
  if (name.length === 0) return "is required";
  if (name.length > NAME_MAX) return `must be at most ${NAME_MAX} characters`;
  if (!NAME_PATTERN.test(name)) {
    return "must start with a letter and use only lowercase letters, digits and single hyphens (no leading, trailing or doubled hyphen)";
  }
  return null;
}

export function assertName(what: "service" | "environment", name: string): string {
  const problem = nameProblem(name);
  if (problem) {
    throw unprocessable(`invalid_${what}_name`, `The ${what} name "${name}" ${problem}.`, "name");
  }
  return name;
}
