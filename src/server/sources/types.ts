import type { FinishReason, MessageParams, Usage } from '../../protocol/index.js';

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
 * Where answers come from. `generate` yields text chunks as the model produces
 * them and returns how the answer ended; it rejects when the model fails.
 */
export interface TokenSource {
  generate(request: GenerateRequest): AsyncGenerator<string, GenerateResult, void>;
}
