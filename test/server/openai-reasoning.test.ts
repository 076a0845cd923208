/**
 * The OpenAI-compatible source and reasoning models (PROTOCOL.md section 16):
 * each server's own chunk format, replayed by the fake upstream, becomes
 * reasoning and answer text; `<think>` tags in the content are split out
 * wherever the chunks cut them; the length limit goes in the field the model
 * takes; reasoning token counts reach `usage`.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createOpenAISource, type OpenAISourceOptions } from '../../src/server/sources/openai.js';
import { streamChunks } from '../../src/server/sources/stream-chunks.js';
import { ThinkTagSplitter } from '../../src/server/sources/think-tags.js';
import type { ChatSource, GenerateResult, SourceChunk } from '../../src/server/sources/types.js';
import { FakeUpstream, type Script, startSse } from './fake-openai.js';

/** Writes `events` as SSE `data:` lines (objects as JSON), then `[DONE]`. */
function sse(events: (object | string)[]): Script {
  return (res: ServerResponse) => {
    startSse(res);
    for (const e of events) res.write(typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`);
    res.end('data: [DONE]\n\n');
  };
}

/** The reasoning and the answer text a generation yields, and how it ended. */
async function run(source: ChatSource): Promise<{ reasoning: string; text: string; result: GenerateResult }> {
  const chunks: SourceChunk[] = [];
  const result = await streamChunks(
    source,
    {
      messages: [{ role: 'user', content: 'Why is the sky blue?' }],
      params: { maxTokens: 20 },
      signal: new AbortController().signal,
    },
    (c) => chunks.push(c),
  );
  return { ...split(chunks), result };
}

function split(chunks: readonly SourceChunk[]): { reasoning: string; text: string } {
  let reasoning = '';
  let text = '';
  for (const c of chunks) {
    if (typeof c === 'string') text += c;
    else if (c.type === 'text') text += c.text;
    else if (c.type === 'reasoning') reasoning += c.text;
    else throw new Error(`unexpected part ${c.type}`);
  }
  return { reasoning, text };
}

describe('OpenAI-compatible source: reasoning models', () => {
  let upstream: FakeUpstream;
  const source = (model: string, extra: Partial<OpenAISourceOptions> = {}): ChatSource =>
    createOpenAISource({ model, baseURL: upstream.baseURL, apiKey: 'sk-test', ...extra });

  before(async () => {
    upstream = await FakeUpstream.start();
  });
  after(() => upstream.close());
  beforeEach(() => {
    upstream.scripts.length = 0;
    upstream.requests.length = 0;
  });

  it('OpenAI (o4-mini): reasoning tokens from usage.completion_tokens_details, max_completion_tokens by model name', async () => {
    // openai-node's ChatCompletionChunk and CompletionUsage (resources/chat/completions, resources/completions):
    // a reasoning model streams no reasoning text; the usage chunk (choices: []) counts its reasoning tokens.
    const base = {
      id: 'chatcmpl-B9',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'o4-mini-2025-04-16',
    };
    upstream.scripts.push(
      sse([
        {
          ...base,
          service_tier: 'default',
          system_fingerprint: null,
          choices: [
            {
              index: 0,
              delta: { role: 'assistant', content: '', refusal: null },
              logprobs: null,
              finish_reason: null,
            },
          ],
        },
        {
          ...base,
          choices: [{ index: 0, delta: { content: 'Rayleigh' }, logprobs: null, finish_reason: null }],
        },
        {
          ...base,
          choices: [{ index: 0, delta: { content: ' scattering.' }, logprobs: null, finish_reason: null }],
        },
        { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
        {
          ...base,
          choices: [],
          usage: {
            prompt_tokens: 13,
            completion_tokens: 460,
            total_tokens: 473,
            prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
            completion_tokens_details: {
              reasoning_tokens: 384,
              audio_tokens: 0,
              accepted_prediction_tokens: 0,
              rejected_prediction_tokens: 0,
            },
          },
        },
      ]),
    );
    const { reasoning, text, result } = await run(source('o4-mini'));
    assert.deepEqual({ reasoning, text }, { reasoning: '', text: 'Rayleigh scattering.' });
    assert.deepEqual(result.usage, { promptTokens: 13, completionTokens: 460, reasoningTokens: 384 });
    const body = upstream.requests[0]?.body as Record<string, unknown>;
    assert.equal(body.max_completion_tokens, 20, 'OpenAI reasoning models refuse max_tokens');
    assert.equal('max_tokens' in body, false);
  });

  it('vLLM with a reasoning parser: delta.reasoning_content (older releases) and delta.reasoning (newer)', async () => {
    // vllm/entrypoints/openai/protocol.py: DeltaMessage(role, content, reasoning_content, tool_calls);
    // newer releases renamed the field `reasoning`. serving_chat.py sends the role first, usage last.
    const base = { id: 'chatcmpl-9f', object: 'chat.completion.chunk', created: 1, model: 'Qwen/QwQ-32B' };
    const choice = (delta: object, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    for (const field of ['reasoning_content', 'reasoning']) {
      upstream.scripts.push(
        sse([
          choice({ role: 'assistant', content: '' }),
          choice({ [field]: 'Light' }),
          choice({ [field]: ' scatters.' }),
          choice({ content: 'Blue' }),
          choice({ content: ' wins.' }),
          choice({}, 'stop'),
          { ...base, choices: [], usage: { prompt_tokens: 9, total_tokens: 30, completion_tokens: 21 } },
        ]),
      );
      const { reasoning, text, result } = await run(source('Qwen/QwQ-32B'));
      assert.deepEqual({ reasoning, text }, { reasoning: 'Light scatters.', text: 'Blue wins.' }, field);
      assert.deepEqual(result.usage, { promptTokens: 9, completionTokens: 21 });
    }
    const body = upstream.requests[0]?.body as Record<string, unknown>;
    assert.equal(body.max_tokens, 20, 'other models keep max_tokens');
    assert.equal('max_completion_tokens' in body, false);
  });

  it("Ollama's OpenAI endpoint: delta.reasoning beside an empty content", async () => {
    // ollama/openai/openai.go ToChunk: Delta: Message{Role, Content, ToolCalls, Reasoning: r.Message.Thinking},
    // system_fingerprint fp_ollama; with stream_options.include_usage a last chunk carries `usage`.
    const base = {
      id: 'chatcmpl-123',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'qwen3:8b',
      system_fingerprint: 'fp_ollama',
    };
    const choice = (content: string, reasoning?: string, finish: string | null = null) => ({
      ...base,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content, ...(reasoning ? { reasoning } : {}) },
          finish_reason: finish,
        },
      ],
    });
    upstream.scripts.push(
      sse([
        choice('', 'Okay, the user'),
        choice('', ' asks about color.'),
        choice('The sky'),
        choice(' is blue.'),
        choice('', undefined, 'stop'),
        { ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 } },
      ]),
    );
    const { reasoning, text, result } = await run(source('qwen3:8b'));
    assert.deepEqual(
      { reasoning, text },
      { reasoning: 'Okay, the user asks about color.', text: 'The sky is blue.' },
    );
    assert.deepEqual(result.usage, { promptTokens: 12, completionTokens: 40 });
  });

  it("llama.cpp's server: reasoning_content with a reasoning format, <think> in the content without one", async () => {
    // llama.cpp common/chat.cpp common_chat_msg_diff_to_json_oaicompat: a delta holds reasoning_content
    // and/or content, only when not empty; the server's first chunk has role and content null, the last
    // one the finish reason and usage. With --reasoning-format none the thinking stays in the content.
    const base = {
      created: 1,
      id: 'chatcmpl-Xa',
      model: 'DeepSeek-R1-Distill-Qwen-7B',
      system_fingerprint: 'b6000-abc',
      object: 'chat.completion.chunk',
    };
    const choice = (delta: object, finish: string | null = null, extra: object = {}) => ({
      choices: [{ finish_reason: finish, index: 0, delta }],
      ...base,
      ...extra,
    });
    const last = choice({}, 'stop', {
      usage: { completion_tokens: 30, prompt_tokens: 8, total_tokens: 38 },
      timings: { prompt_n: 8, predicted_n: 30 },
    });
    upstream.scripts.push(
      sse([
        choice({ role: 'assistant', content: null }),
        choice({ reasoning_content: 'Think' }),
        choice({ reasoning_content: 'ing.' }),
        choice({ content: 'Done.' }),
        last,
      ]),
    );
    const parsed = await run(source('DeepSeek-R1-Distill-Qwen-7B'));
    assert.deepEqual(
      { reasoning: parsed.reasoning, text: parsed.text },
      { reasoning: 'Thinking.', text: 'Done.' },
    );
    assert.deepEqual(parsed.result.usage, { promptTokens: 8, completionTokens: 30 });

    // --reasoning-format none: the tags arrive inside the content, cut where the tokens fall.
    const pieces = ['<th', 'ink>\n', 'Think', 'ing.\n</', 'think', '>\n\n', 'Done.'];
    upstream.scripts.push(
      sse([choice({ role: 'assistant', content: null }), ...pieces.map((p) => choice({ content: p })), last]),
    );
    const raw = await run(source('DeepSeek-R1-Distill-Qwen-7B'));
    assert.deepEqual(
      { reasoning: raw.reasoning, text: raw.text },
      { reasoning: 'Thinking.\n', text: 'Done.' },
    );
  });

  it('OpenRouter: delta.reasoning (not also reasoning_details), comments, reasoning tokens in usage', async () => {
    // openrouter.ai/docs/use-cases/reasoning-tokens: reasoning streams in `reasoning` of each delta, and again
    // structured in `reasoning_details`; SSE comments (": OPENROUTER PROCESSING") keep the stream alive.
    const base = {
      id: 'gen-17',
      provider: 'DeepInfra',
      model: 'deepseek/deepseek-r1',
      object: 'chat.completion.chunk',
      created: 1,
    };
    const choice = (content: string, reasoning: string | null, finish: string | null = null) => ({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            role: 'assistant',
            content,
            reasoning,
            ...(reasoning
              ? {
                  reasoning_details: [
                    { type: 'reasoning.text', text: reasoning, format: 'unknown', index: 0 },
                  ],
                }
              : {}),
          },
          finish_reason: finish,
          native_finish_reason: finish,
          logprobs: null,
        },
      ],
    });
    upstream.scripts.push(
      sse([
        ': OPENROUTER PROCESSING\n\n',
        choice('', 'Hmm,'),
        choice('', ' blue light.'),
        choice('Blue', null),
        choice('.', null),
        choice('', null, 'stop'),
        {
          ...base,
          choices: [],
          usage: {
            prompt_tokens: 10,
            completion_tokens: 50,
            total_tokens: 60,
            completion_tokens_details: { reasoning_tokens: 45 },
          },
        },
      ]),
    );
    const { reasoning, text, result } = await run(source('deepseek/deepseek-r1'));
    assert.deepEqual({ reasoning, text }, { reasoning: 'Hmm, blue light.', text: 'Blue.' });
    assert.deepEqual(result.usage, { promptTokens: 10, completionTokens: 50, reasoningTokens: 45 });
  });

  it('tokenLimitField: the flag decides over the model name, both ways', async () => {
    const cases: [string, OpenAISourceOptions['tokenLimitField'], string][] = [
      ['my-azure-deployment', 'max_completion_tokens', 'max_completion_tokens'],
      ['o3-mini', 'max_tokens', 'max_tokens'],
      ['gpt-5-mini', 'auto', 'max_completion_tokens'],
      ['openai/o1', undefined, 'max_completion_tokens'],
      ['gpt-4o-mini', undefined, 'max_tokens'],
      ['llama3.2', undefined, 'max_tokens'],
    ];
    for (const [model, tokenLimitField, expected] of cases) {
      upstream.requests.length = 0;
      upstream.scripts.push(
        sse([{ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }]),
      );
      await run(source(model, tokenLimitField ? { tokenLimitField } : {}));
      const body = upstream.requests[0]?.body as Record<string, unknown>;
      const other = expected === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
      assert.equal(body[expected], 20, `${model} (${tokenLimitField}): ${expected}`);
      assert.equal(other in body, false, `${model} (${tokenLimitField}): no ${other}`);
    }
    assert.throws(
      () => createOpenAISource({ model: 'x', tokenLimitField: 'max' as 'auto' }),
      /tokenLimitField must be one of/,
    );
  });
});

describe('ThinkTagSplitter', () => {
  const CONTENT = '  <think>\nI reason.\n</think>\n\nThe answer.';

  function feed(pieces: readonly string[]): { reasoning: string; text: string } {
    const splitter = new ThinkTagSplitter();
    return split([...pieces.flatMap((p) => splitter.push(p)), ...splitter.end()]);
  }

  it('splits the tags out wherever two cuts fall in the content', () => {
    for (let i = 0; i <= CONTENT.length; i++) {
      for (let j = i; j <= CONTENT.length; j++) {
        const pieces = [CONTENT.slice(0, i), CONTENT.slice(i, j), CONTENT.slice(j)];
        assert.deepEqual(
          feed(pieces),
          { reasoning: 'I reason.\n', text: 'The answer.' },
          JSON.stringify(pieces),
        );
      }
    }
  });

  it('one character at a time, too', () => {
    assert.deepEqual(feed([...CONTENT]), { reasoning: 'I reason.\n', text: 'The answer.' });
  });

  it('leaves content that does not open with <think> as text, tags and all', () => {
    assert.deepEqual(feed(['Use ', '<think>', ' tags like this.']), {
      reasoning: '',
      text: 'Use <think> tags like this.',
    });
    assert.deepEqual(feed(['<thi', 'ng>']), { reasoning: '', text: '<thing>' });
    assert.deepEqual(feed(['<thi']), { reasoning: '', text: '<thi' }, 'a tag that never completed');
  });

  it('a reasoning never closed stays reasoning (the model stopped while thinking)', () => {
    assert.deepEqual(feed(['<think>Still', ' thinking</thi']), {
      reasoning: 'Still thinking</thi',
      text: '',
    });
  });
});
