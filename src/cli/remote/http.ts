import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import type { Remote } from "./config.ts";

/** An answer of the server that is not what was asked for, with its error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type Sent = { method?: string; headers?: Record<string, string>; body?: Readable | string };

function send(remote: Remote, path: string, init: Sent): Promise<http.IncomingMessage> {
  const url = new URL(`${remote.url}/api/v1${path}`);
  const mod = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${remote.token}`,
          "user-agent": "berth-cli",
          "x-berth-client": "cli", // a job run started here is recorded as started by the CLI
          ...init.headers,
        },
      },
      resolve,
    );
    req.on("error", (err) =>
      reject(new ApiError(0, "unreachable", `Cannot reach ${remote.url}: ${err.message}`)),
    );
    if (init.body === undefined) req.end();
    else if (typeof init.body === "string") req.end(init.body);
    else {
      init.body.on("error", (err) => req.destroy(err));
      init.body.pipe(req);
    }
  });
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk;
  return text;
}

async function answer<T>(res: http.IncomingMessage): Promise<T> {
  const text = await readAll(res);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) return body as T;
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const hint = status === 401 ? " (sign in again: berth login <url>, or set BERTH_TOKEN)" : "";
  throw new ApiError(
    status,
    error?.code ?? `http_${status}`,
    `${error?.message ?? `The server answered HTTP ${status}.`}${hint}`,
  );
}

/** A JSON request to /api/v1; throws ApiError for anything but 2xx. */
export async function api<T>(
  remote: Remote,
  path: string,
  init: { method?: string; json?: unknown } = {},
): Promise<T> {
  const res = await send(remote, path, {
    method: init.method,
    headers: init.json === undefined ? {} : { "content-type": "application/json" },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  return answer<T>(res);
}

/** Streams a bundle as the request body (chunked unless `bytes` is known). */
export async function upload<T>(
  remote: Remote,
  path: string,
  body: Readable,
  type: string,
  bytes?: number,
): Promise<T> {
  const headers: Record<string, string> = { "content-type": type };
  if (bytes !== undefined) headers["content-length"] = String(bytes);
  return answer<T>(await send(remote, path, { method: "POST", headers, body }));
}

/** Server-Sent Events of a GET: calls `onEvent` for each until the server closes it. */
export async function events(
  remote: Remote,
  path: string,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const res = await send(remote, path, { headers: { accept: "text/event-stream" } });
  if ((res.statusCode ?? 0) !== 200) {
    await answer(res);
    return;
  }
  res.setEncoding("utf8");
  let buffer = "";
  for await (const chunk of res) {
    buffer += chunk;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(event, data.join("\n"));
      end = buffer.indexOf("\n\n");
    }
  }
}
