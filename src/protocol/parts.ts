/**
 * The parts of an answer beside its text (PROTOCOL.md section 16), applied
 * the same way at both ends: the server keeps them, a client that asked for
 * them holds them.
 */
import type { SourceRef, ToolStep } from './frames.js';

/** An answer's parts beside its text; each absent while empty. */
export interface AnswerParts {
  reasoning?: string;
  tools?: ToolStep[];
  sources?: SourceRef[];
}

/** Adds one delta's other part to an answer: reasoning appended, a tool step by id, a source after the others. */
export function applyParts(
  m: AnswerParts,
  { reasoning, tool, source }: { reasoning?: string; tool?: ToolStep; source?: SourceRef },
): void {
  if (reasoning !== undefined) m.reasoning = (m.reasoning ?? '') + reasoning;
  if (tool !== undefined) {
    const tools = m.tools ?? [];
    const at = tools.findIndex((t) => t.id === tool.id);
    tools[at < 0 ? tools.length : at] = tool;
    m.tools = tools;
  }
  if (source !== undefined) m.sources = [...(m.sources ?? []), source];
}

/** Gives an answer the parts of a snapshot or a history entry (which carries all of them up to its seq). */
export function replaceParts(m: AnswerParts, { reasoning, tools, sources }: AnswerParts): void {
  m.reasoning = reasoning;
  m.tools = tools;
  m.sources = sources;
}
