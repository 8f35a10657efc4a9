import type { Context } from "hono";
import { invalid, tooLarge } from "../../domain/errors.ts";

const MAX_BODY = 256 * 1024;

/** A bounded JSON body; its content is checked by the service (422s that name the field). */
export async function jsonBody(c: Context): Promise<unknown> {
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > MAX_BODY) throw tooLarge("body_too_large", "The body is larger than 256 KiB.");
  // counted as it arrives: this route also takes bundle uploads, so no smaller bound ran before
  const chunks: Uint8Array[] = [];
  let size = 0;
  // (a body a validator already read comes from Hono's cache instead)
  if (c.req.raw.bodyUsed) return parse(await c.req.text());
  const reader = c.req.raw.body?.getReader();
  for (;;) {
    const part = reader ? await reader.read() : { done: true as const, value: undefined };
    if (part.done) break;
    size += part.value.length;
    if (size > MAX_BODY) {
      await reader?.cancel();
      throw tooLarge("body_too_large", "The body is larger than 256 KiB.");
    }
    chunks.push(part.value);
  }
  return parse(Buffer.concat(chunks).toString("utf8"));
}

function parse(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("invalid_json", "The body is not valid JSON.");
  }
}
