import { integer, option, positiveInteger, rateOrInfinity } from '../../server/options/check.js';
import { pulledStream } from '../../server/sources/pulled-stream.js';
import type {
  GenerateRequest,
  GenerateResult,
  PushTokenSource,
  SourceChunk,
  TokenSource,
} from '../../server/sources/types.js';
import { mockAnswerFor, mockPartsFor, splitIntoTokens } from './mock-answer.js';
import { Pacer } from './pacer.js';

export interface MockSourceOptions {
  /** Seed for the answers; the same seed gives the same answers. Default 1. */
  seed?: number;
  /** Token rate; `Infinity` streams as fast as the event loop allows. Default 50. */
  tokensPerSecond?: number;
  /** Sections per answer (each has a list, a table and a code block). Default 1. */
  sections?: number;
  /**
   * Answers also carry the other parts (PROTOCOL.md section 16): reasoning
   * first, then a tool step (running, then done), then two sources, then the
   * text. Default false.
   */
  parts?: boolean;
}

export interface MockSource extends PushTokenSource, TokenSource {
  /** Tokens produced so far, over all answers: a test reads it to prove that cancel stops production. */
  readonly stats: { tokensProduced: number };
}

export function createMockSource(options: MockSourceOptions = {}): MockSource {
  const seed = option('mock seed', options.seed, integer, 1);
  const rate = option('mock tokensPerSecond', options.tokensPerSecond, rateOrInfinity, 50);
  const sections = option('mock sections', options.sections, positiveInteger, 1);
  const withParts = options.parts === true;
  const stats = { tokensProduced: 0 };
  // One timer for all the answers this source streams (see Pacer).
  const pacer = new Pacer();

  function stream(
    { messages, params, signal }: GenerateRequest,
    emit: (chunk: SourceChunk) => void,
  ): Promise<GenerateResult> {
    const users = messages.filter((m) => m.role === 'user');
    const last = users.at(-1)?.content ?? '';
    const text = mockAnswerFor(last, users.length - 1, seed, sections);
    const all = splitIntoTokens(text, seed + users.length);
    // Like a model, stop at maxTokens with finishReason "length".
    const answer = params.maxTokens === undefined ? all : all.slice(0, params.maxTokens);
    const before = withParts ? partsBefore(users.length - 1) : [];
    const reasoningTokens = before.filter((c) => typeof c !== 'string' && c.type === 'reasoning').length;
    const tokens: SourceChunk[] = [...before, ...answer];
    const result: GenerateResult = {
      finishReason: answer.length < all.length ? 'length' : 'stop',
      usage: {
        promptTokens: messages.reduce((n, m) => n + m.content.length, 0),
        completionTokens: answer.length + reasoningTokens,
        ...(withParts ? { reasoningTokens } : {}),
      },
    };
    const intervalMs = Number.isFinite(rate) ? 1000 / rate : 0;
    const startedAt = performance.now();
    let next = 0;
    // Ends at once on cancel, so nothing more is produced.
    const paced = pacer.paced(signal, produce);
    /** Emits every token due by now, then waits for the next one's tick. */
    function produce(): void {
      let emittedWithoutWait = 0;
      while (next < tokens.length) {
        if (paced.ended) return; // a reader may cancel from inside emit
        const dueAt = startedAt + next * intervalMs;
        if (dueAt - performance.now() >= 1) {
          paced.until(dueAt);
          return;
        }
        if (emittedWithoutWait === 64) {
          // As-fast-as-possible mode, or far behind, still yields to I/O now and then.
          setImmediate(produce);
          return;
        }
        emittedWithoutWait++;
        stats.tokensProduced++;
        emit(tokens[next++] as SourceChunk);
      }
      paced.finish();
    }
    produce();
    return paced.done.then(() => result);
  }

  /** The reasoning (token by token) around the tool step's two states, then the sources, before the text. */
  function partsBefore(turn: number): SourceChunk[] {
    const { reasoning, tool, sources } = mockPartsFor(turn, seed);
    const thinking = splitIntoTokens(reasoning, seed + turn + 17).map(
      (t): SourceChunk => ({ type: 'reasoning', text: t }),
    );
    // The step runs while the second half of the reasoning streams, so its status is seen to change.
    const half = Math.ceil(thinking.length / 2);
    return [
      ...thinking.slice(0, half),
      { type: 'tool', id: tool.id, name: tool.name, label: tool.label, status: 'running' },
      ...thinking.slice(half),
      { type: 'tool', ...tool, status: 'done' },
      ...sources.map((s): SourceChunk => ({ type: 'source', ...s })),
    ];
  }

  // The server reads `stream`; `generate` serves code that reads a TokenSource.
  return { stats, stream, generate: pulledStream(stream) };
}
