/**
 * Splits what a Redis client writes into its commands: RESP arrays of bulk
 * strings (what ioredis sends), across however the bytes arrive in chunks.
 * Each command comes with the offset, in the chunk that completed it, just
 * past its last byte, so a proxy can pass a command whole and stop there.
 */
export interface ParsedCommand {
  /** The command's name (lower case) and arguments, as latin1 strings. */
  args: string[];
  /** Bytes of the chunk that completed it, up to and including its end. */
  end: number;
}

export class RespRequests {
  private pending: Buffer = Buffer.alloc(0);

  /** The commands this chunk completes. */
  push(chunk: Buffer): ParsedCommand[] {
    const carried = this.pending.length;
    const data = carried === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const commands: ParsedCommand[] = [];
    let at = 0;
    for (;;) {
      const parsed = parseCommand(data, at);
      if (!parsed) break;
      const [name = '', ...rest] = parsed.args;
      commands.push({ args: [name.toLowerCase(), ...rest], end: parsed.next - carried });
      at = parsed.next;
    }
    this.pending = data.subarray(at);
    return commands;
  }
}

/** One `*<n>\r\n($<len>\r\n<bytes>\r\n){n}` from `at`, or undefined until all of it is here. */
function parseCommand(data: Buffer, at: number): { args: string[]; next: number } | undefined {
  const header = readLine(data, at, '*');
  if (!header) return undefined;
  const args: string[] = [];
  let next = header.next;
  for (let i = 0; i < header.value; i++) {
    const length = readLine(data, next, '$');
    if (!length || length.next + length.value + 2 > data.length) return undefined;
    args.push(data.toString('latin1', length.next, length.next + length.value));
    next = length.next + length.value + 2;
  }
  return { args, next };
}

function readLine(data: Buffer, at: number, type: string): { value: number; next: number } | undefined {
  const end = data.indexOf('\r\n', at);
  if (end < 0) return undefined;
  if (data.toString('latin1', at, at + 1) !== type) throw new Error(`not a RESP request at byte ${at}`);
  return { value: Number(data.toString('latin1', at + 1, end)), next: end + 2 };
}
