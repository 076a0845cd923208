import { setTimeout as sleep } from 'node:timers/promises';
import { integer, option, positiveInteger, rateOrInfinity } from '../../server/options/check.js';
import type { GenerateRequest, GenerateResult, TokenSource } from '../../server/sources/types.js';
import { mockAnswerFor, splitIntoTokens } from './mock-answer.js';

export interface MockSourceOptions {
  /** Seed for the answers; the same seed gives the same answers. Default 1. */
  seed?: number;
  /** Token rate; `Infinity` streams as fast as the event loop allows. Default 50. */
  tokensPerSecond?: number;
  /** Sections per answer (each has a list, a table and a code block). Default 1. */
  sections?: number;
}

export interface MockSource extends TokenSource {
  /** Tokens produced so far, over all answers: a test reads it to prove that cancel stops production. */
  readonly stats: { tokensProduced: number };
}

export function createMockSource(options: MockSourceOptions = {}): MockSource {
  const seed = option('mock seed', options.seed, integer, 1);
  const rate = option('mock tokensPerSecond', options.tokensPerSecond, rateOrInfinity, 50);
  const sections = option('mock sections', options.sections, positiveInteger, 1);
  const stats = { tokensProduced: 0 };

  async function* generate({
    messages,
    params,
    signal,
  }: GenerateRequest): AsyncGenerator<string, GenerateResult, void> {
    const users = messages.filter((m) => m.role === 'user');
    const last = users.at(-1)?.content ?? '';
    const text = mockAnswerFor(last, users.length - 1, seed, sections);
    const all = splitIntoTokens(text, seed + users.length);
    // Like a model, stop at maxTokens with finishReason "length".
    const tokens = params.maxTokens === undefined ? all : all.slice(0, params.maxTokens);
    const intervalMs = Number.isFinite(rate) ? 1000 / rate : 0;
    const startedAt = performance.now();
    for (let i = 0; i < tokens.length; i++) {
      const dueIn = startedAt + i * intervalMs - performance.now();
      if (dueIn >= 1) {
        // Rejects with AbortError on cancel, so nothing more is produced.
        await sleep(dueIn, undefined, { signal });
      } else if (i % 64 === 63) {
        // As-fast-as-possible mode still yields to I/O now and then.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (signal.aborted) break;
      stats.tokensProduced++;
      yield tokens[i] as string;
    }
    return {
      finishReason: tokens.length < all.length ? 'length' : 'stop',
      usage: {
        promptTokens: messages.reduce((n, m) => n + m.content.length, 0),
        completionTokens: tokens.length,
      },
    };
  }

  return { stats, generate };
}
