import type { Context } from "hono";
import { invalid, tooLarge } from "../../domain/errors.ts";

const MAX_BODY = 256 * 1024;

/** A bounded JSON body; its content is checked by the service (422s that name the field). */
export async function jsonBody(c: Context): Promise<unknown> {
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > MAX_BODY) throw tooLarge("body_too_large", "The body is larger than 256 KiB.");
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY)
    throw tooLarge("body_too_large", "The body is larger than 256 KiB.");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("invalid_json", "The body is not valid JSON.");
  }
}
