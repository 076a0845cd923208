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

/**
 * A source that hands each chunk over as it comes, instead of being read:
 * `stream` calls `emit` for every chunk (synchronously, from wherever the
 * chunk arrives: a timer, a socket's data event) and resolves with how the
 * answer ended; it rejects when the model fails. Where a source already has
 * its chunks in callbacks, this costs no promise per chunk, which an async
 * generator does several times over (the server's own sources are written
 * so). After `signal` aborts, chunks are ignored and the source must settle
 * promptly; it must not call `emit` after it settled.
 */
export interface PushTokenSource {
  stream(request: GenerateRequest, emit: (chunk: SourceChunk) => void): Promise<GenerateResult>;
}

/** What the chat server takes as its source: either kind. */
export type ChatSource = TokenSource | PushTokenSource;
