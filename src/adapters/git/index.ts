/**
 * Git sources for builds: validated repository URLs and refs, argv builders (pure, so
 * tests assert them), credentials kept out of argv and the work tree, and a checkout that
 * runs the steps through the process runner.
 */
export { type CheckoutOptions, type CheckoutResult, checkout, gitMessage } from "./checkout.ts";
export { type CloneSpec, cloneArgv, gitPrefix, headArgv, LOG_FORMAT } from "./commands.ts";
export {
  type GitAuth,
  type GitCredentials,
  prepareAuth,
  type SecretText,
  shellQuote,
} from "./credentials.ts";
export { isCommitSha, validateRef } from "./ref.ts";
export { parseRepoUrl, type RepoKind, type RepoUrl } from "./url.ts";
