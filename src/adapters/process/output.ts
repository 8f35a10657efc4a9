import { StringDecoder } from "node:string_decoder";
import { createMasker } from "./mask.ts";

export type OutputStream = "stdout" | "stderr";
export type OutputChunk = { stream: OutputStream; text: string };

/** A partial line is forwarded after this much silence, or once it grows this long. */
const IDLE_FLUSH_MS = 100;
const MAX_HELD_LINE = 8192;

type Lane = { write(bytes: Buffer): void; end(): void; cut(): void };

export type Output = {
  write(stream: OutputStream, bytes: Buffer): void;
  /** Both streams ended: forwards whatever is still held. Idempotent. */
  end(): void;
  readonly truncated: boolean;
};

/**
 * Turns a child's raw stdout/stderr into masked, mostly whole-line chunks, and caps the
 * total: past `maxBytes` (raw bytes, both streams together) nothing more is forwarded,
 * one "[output truncated at N bytes]" note is, and the caller keeps reading (draining)
 * so the child never blocks on a full pipe.
 */
export function createOutput(opts: {
  secrets: readonly string[];
  maxBytes: number;
  emit: (chunk: OutputChunk) => void;
}): Output {
  let total = 0;
  let truncated = false;
  let ended = false;
  let atLineStart = true;

  const send = (stream: OutputStream, text: string) => {
    if (text === "") return;
    atLineStart = text.endsWith("\n");
    opts.emit({ stream, text });
  };

  function lane(stream: OutputStream): Lane {
    const decoder = new StringDecoder("utf8");
    const masker = createMasker(opts.secrets);
    let pending = "";
    let timer: NodeJS.Timeout | undefined;

    const flushPending = () => {
      clearTimeout(timer);
      send(stream, pending);
      pending = "";
    };
    const take = (masked: string) => {
      pending += masked;
      const cut = pending.lastIndexOf("\n") + 1;
      if (cut > 0) {
        send(stream, pending.slice(0, cut));
        pending = pending.slice(cut);
      }
      clearTimeout(timer);
      if (pending.length >= MAX_HELD_LINE) flushPending();
      else if (pending !== "") {
        timer = setTimeout(flushPending, IDLE_FLUSH_MS);
        timer.unref();
      }
    };
    return {
      write: (bytes) => take(masker.push(decoder.write(bytes))),
      end: () => {
        take(masker.push(decoder.end()) + masker.end());
        flushPending();
      },
      cut: () => {
        // the cap fell here: a half character or half a secret held back is not shown
        masker.drop();
        flushPending();
      },
    };
  }

  const lanes = { stdout: lane("stdout"), stderr: lane("stderr") };

  return {
    write(stream, bytes) {
      if (truncated || ended) return;
      const room = opts.maxBytes - total;
      if (bytes.length <= room) {
        total += bytes.length;
        lanes[stream].write(bytes);
        return;
      }
      truncated = true;
      total = opts.maxBytes;
      if (room > 0) lanes[stream].write(bytes.subarray(0, room));
      lanes.stdout.cut();
      lanes.stderr.cut();
      const note = `[output truncated at ${opts.maxBytes} bytes]\n`;
      send("stderr", atLineStart ? note : `\n${note}`);
    },
    end() {
      if (ended) return;
      ended = true;
      if (truncated) return;
      lanes.stdout.end();
      lanes.stderr.end();
    },
    get truncated() {
      return truncated;
    },
  };
}
