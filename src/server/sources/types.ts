import type { FinishReason, MessageParams, ToolStatus, Usage } from '../../protocol/index.js';

export interface SourceMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  /** The conversation so far, oldest first, ending with the user's message. */
  messages: SourceMessage[];
  params: MessageParams;
  /** Aborted when the user cancels; a source must stop producing promptly. */
  signal: AbortSignal;
}

export interface GenerateResult {
  finishReason: Extract<FinishReason, 'stop' | 'length'>;
  usage: Usage | null;
}

/**
 * A typed piece of an answer (PROTOCOL.md section 16). A plain string is
 * answer text, as `{ type: 'text' }` is.
 */
export type SourcePart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  /** A step's whole current state: yield it again with the same `id` to change its status or add its summary. */
  | { type: 'tool'; id: string; name: string; label: string; status: ToolStatus; summary?: string }
  /** Sources are numbered from 1 in the order they are yielded (the answer text cites them as `[n]`). */
  | { type: 'source'; title: string; url: string; snippet?: string };

/** What a source yields: answer text, or a typed part. */
export type SourceChunk = string | SourcePart;

/**
 * Where answers come from. `generate` yields chunks as the model produces
 * them (text, or typed parts: reasoning, tool steps, sources) and returns how
 * the answer ended; it rejects when the model fails.
 */
export interface TokenSource {
  generate(request: GenerateRequest): AsyncGenerator<SourceChunk, GenerateResult, void>;
}
