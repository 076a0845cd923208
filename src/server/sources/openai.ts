import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Usage } from '../../protocol/index.js';
import { option, positiveInteger } from '../options/check.js';
import { pulledStream } from './pulled-stream.js';
import { ThinkTagSplitter } from './think-tags.js';
import type { GenerateRequest, GenerateResult, PushTokenSource, SourceChunk, TokenSource } from './types.js';

export interface OpenAISourceOptions {
  /** Model to ask for, e.g. `gpt-4o-mini` or `llama3.2`. Required. */
  model: string;
  /**
   * Base URL of an OpenAI-compatible API, including `/v1`. Default
   * `https://api.openai.com/v1`; for local servers e.g. `http://127.0.0.1:11434/v1` (Ollama).
   */
  baseURL?: string;
  /**
   * API key sent as a bearer token. Local servers usually ignore it, so it
   * defaults to `not-set` (OpenAI itself then answers 401, which reaches the user).
   */
  apiKey?: string;
  /**
   * Longest wait for the upstream, from the request to the first chunk and
   * between chunks, in ms. A stalled upstream then fails the answer with a
   * clear error instead of hanging. Default 60000.
   */
  idleTimeoutMs?: number;
  /**
   * Models a client may pick with `params.model`. Default: only `model`. A
   * `send` naming another model fails with a `source_failed` error.
   */
  allowedModels?: readonly string[];
  /** Upper bound applied to `params.maxTokens` (and used when absent). Default: none. */
  maxTokens?: number;
  /**
   * The request field that carries the length limit: `max_tokens` (what most
   * OpenAI-compatible servers read), `max_completion_tokens` (what OpenAI's
   * reasoning models require: they refuse `max_tokens`), or `auto`, the
   * default: `max_completion_tokens` for OpenAI's reasoning models by name
   * (o1, o3, o4-mini, gpt-5 and their variants), `max_tokens` for the rest.
   */
  tokenLimitField?: TokenLimitField;
  /** Extra headers for every upstream request (e.g. an organization or proxy header). */
  headers?: Record<string, string>;
}

export type TokenLimitField = 'auto' | 'max_tokens' | 'max_completion_tokens';
export const TOKEN_LIMIT_FIELDS: readonly TokenLimitField[] = ['auto', 'max_tokens', 'max_completion_tokens'];

/** OpenAI's reasoning models (`o1`, `o3-mini`, `o4-mini`, `gpt-5`, `gpt-5-mini`, …), which refuse `max_tokens`. */
const OPENAI_REASONING_MODEL = /^(openai\/)?(o\d|gpt-5)/;

/** The request field for the length limit with model `model`. */
export function tokenLimitFieldFor(
  model: string,
  field: TokenLimitField = 'auto',
): Exclude<TokenLimitField, 'auto'> {
  if (field !== 'auto') return field;
  return OPENAI_REASONING_MODEL.test(model) ? 'max_completion_tokens' : 'max_tokens';
}

/**
 * The reasoning in a chunk's delta: `reasoning_content` (vLLM, DeepSeek,
 * llama.cpp's server with a reasoning format) or `reasoning` (Ollama,
 * OpenRouter, newer vLLM); one of them, as a server that sends both sends
 * the same text twice.
 */
function reasoningOf(delta: object | undefined): string | undefined {
  const d = delta as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
  if (typeof d?.reasoning_content === 'string' && d.reasoning_content !== '') return d.reasoning_content;
  if (typeof d?.reasoning === 'string' && d.reasoning !== '') return d.reasoning;
  return undefined;
}

/** The error a failed upstream request becomes; its message says what went wrong. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    /** HTTP status of the upstream answer, when there was one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function describeUpstreamError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new UpstreamError('upstream did not answer in time', undefined, { cause: error });
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new UpstreamError(`could not reach the upstream${cause}`, undefined, { cause: error });
  }
  if (error instanceof APIError) {
    const body = error.error as { message?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? body.message : error.message;
    const message =
      error.status === undefined
        ? `upstream reported an error mid-stream: ${detail}`
        : `upstream answered HTTP ${error.status}: ${detail}`;
    return new UpstreamError(message, error.status, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new UpstreamError(`upstream stream broke: ${detail}`, undefined, { cause: error });
}

/**
 * A token source that streams from any OpenAI-compatible Chat Completions
 * API (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio) with the official
 * `openai` SDK. Cancel aborts the HTTP request; streaming requests are never
 * retried, since a retry would repeat text the user already saw.
 */
export function createOpenAISource(options: OpenAISourceOptions): PushTokenSource & TokenSource {
  if (typeof options?.model !== 'string' || options.model.trim() === '') {
    throw new TypeError('openai source: model is required (e.g. --model gpt-4o-mini)');
  }
  const model = options.model;
  const idleTimeoutMs = option(
    'openai source: idleTimeoutMs',
    options.idleTimeoutMs,
    positiveInteger,
    60_000,
  );
  const maxTokens = option('openai source: maxTokens', options.maxTokens, positiveInteger);
  const tokenLimitField = options.tokenLimitField ?? 'auto';
  if (!TOKEN_LIMIT_FIELDS.includes(tokenLimitField)) {
    throw new TypeError(
      `openai source: tokenLimitField must be one of ${TOKEN_LIMIT_FIELDS.join(', ')}, got ${JSON.stringify(tokenLimitField)}`,
    );
  }
  const allowedModels = new Set(options.allowedModels ?? [model]);
  allowedModels.add(model);
  if (options.baseURL !== undefined && !/^https?:\/\/./.test(options.baseURL)) {
    throw new TypeError(
      `openai source: baseURL must be an http(s) URL, got ${JSON.stringify(options.baseURL)}`,
    );
  }
  const client = new OpenAI({
    apiKey: options.apiKey || 'not-set',
    baseURL: options.baseURL ?? 'https://api.openai.com/v1',
    maxRetries: 0,
    timeout: idleTimeoutMs,
    defaultHeaders: options.headers,
  });

  // A push source: the SDK's chunks are read as they arrive and each part goes on at once.
  async function stream(
    { messages, params, signal }: GenerateRequest,
    emit: (chunk: SourceChunk) => void,
  ): Promise<GenerateResult> {
    const chosen = params.model ?? model;
    if (!allowedModels.has(chosen)) {
      throw new UpstreamError(`model ${JSON.stringify(chosen)} is not offered here`);
    }
    const requested = params.maxTokens;
    const limit =
      requested === undefined
        ? maxTokens
        : maxTokens === undefined
          ? requested
          : Math.min(requested, maxTokens);

    // One controller for the request: aborted by the user's cancel or by the stall timer.
    const controller = new AbortController();
    const onCancel = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onCancel, { once: true });
    if (signal.aborted) controller.abort(signal.reason);
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, idleTimeoutMs);
    };
    const stallError = (): UpstreamError =>
      new UpstreamError(`upstream sent nothing for ${idleTimeoutMs} ms; gave up`);

    let finishReason: GenerateResult['finishReason'] | undefined;
    let usage: Usage | null = null;
    arm();
    try {
      let stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
      try {
        stream = await client.chat.completions.create(
          {
            model: chosen,
            messages: messages as ChatCompletionMessageParam[],
            stream: true,
            stream_options: { include_usage: true },
            ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
            ...(limit === undefined ? {} : { [tokenLimitFieldFor(chosen, tokenLimitField)]: limit }),
          },
          { signal: controller.signal, maxRetries: 0 },
        );
      } catch (error) {
        if (stalled) throw stallError();
        if (signal.aborted || error instanceof APIUserAbortError) throw error;
        throw describeUpstreamError(error);
      }
      const thinkTags = new ThinkTagSplitter();
      try {
        for await (const chunk of stream) {
          arm();
          if (chunk.usage) {
            const reasoningTokens = chunk.usage.completion_tokens_details?.reasoning_tokens;
            usage = {
              promptTokens: chunk.usage.prompt_tokens,
              completionTokens: chunk.usage.completion_tokens,
              ...(typeof reasoningTokens === 'number' ? { reasoningTokens } : {}),
            };
          }
          const choice = chunk.choices[0];
          if (!choice) continue;
          if (choice.finish_reason) finishReason = choice.finish_reason === 'length' ? 'length' : 'stop';
          const reasoning = reasoningOf(choice.delta);
          if (reasoning !== undefined) emit({ type: 'reasoning', text: reasoning });
          const text = choice.delta?.content;
          if (text) for (const part of thinkTags.push(text)) emit(part);
        }
        for (const part of thinkTags.end()) emit(part);
      } catch (error) {
        if (stalled) throw stallError();
        if (signal.aborted) throw error;
        throw describeUpstreamError(error);
      }
      // The SDK ends the iteration quietly when the request is aborted.
      if (stalled) throw stallError();
      if (signal.aborted) return { finishReason: finishReason ?? 'stop', usage };
      if (finishReason === undefined) {
        throw new UpstreamError('upstream closed the stream before the answer finished');
      }
      return { finishReason, usage };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onCancel);
      // Releases the HTTP request when the answer stopped early; harmless after a normal end.
      controller.abort();
    }
  }

  // The server reads `stream`; `generate` serves code that reads a TokenSource.
  return { stream, generate: pulledStream(stream) };
}
