import * as v from 'valibot';
import { invalidFrame, openFrame, type ParseResult } from './frame-envelope.js';
import { type ClientFrame, ClientFrameSchema, type ServerFrame, ServerFrameSchema } from './frames.js';

export type { ParseResult } from './frame-envelope.js';

function parseWith<T>(
  schema: v.GenericSchema<unknown, T>,
  knownTypes: ReadonlySet<string>,
  raw: string,
): ParseResult<T> {
  const opened = openFrame(raw, knownTypes);
  if (!opened.ok) return opened;
  const result = v.safeParse(schema, opened.data);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    return invalidFrame(opened.data, opened.type, path, issue.message);
  }
  return { ok: true, frame: result.output };
}

// Made on first use, so a bundle that never parses client frames (the widget) leaves their schemas out.
let clientTypes: ReadonlySet<string> | undefined;
const serverTypes = new Set(ServerFrameSchema.options.map((o) => o.entries.type.literal));

/** Validates a text frame sent by a client. Never throws. */
export function parseClientFrame(raw: string): ParseResult<ClientFrame> {
  clientTypes ??= new Set(ClientFrameSchema.options.map((o) => o.entries.type.literal));
  return parseWith(ClientFrameSchema, clientTypes, raw);
}

/**
 * Validates a text frame sent by a server with the schema itself. The widget
 * reads frames with parseServerFrame (server-frame-check.ts), which accepts
 * exactly what this accepts; this one is the reference it is tested against.
 */
export function parseServerFrameWithSchema(raw: string): ParseResult<ServerFrame> {
  return parseWith(ServerFrameSchema, serverTypes, raw);
}
