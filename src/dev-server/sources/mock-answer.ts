/**
 * Deterministic mock answers: realistic markdown (headings, lists, a table, a
 * fenced code block, inline code, links) and its split into model-like
 * tokens. Pure functions with no Node APIs, so browser tests can compute the
 * exact text the dev server will stream for a given seed.
 */
import { seededRandom } from './random.js';

const topics = [
  'WebSocket streaming',
  'backpressure',
  'markdown rendering',
  'reconnect logic',
  'token budgets',
];
const languages = ['ts', 'python', 'bash', 'json'] as const;

const codeSamples: Record<(typeof languages)[number], string> = {
  ts: [
    'export async function* stream(url: string): AsyncGenerator<string> {',
    '  const response = await fetch(url);',
    '  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();',
    '  for (;;) {',
    '    const { value, done } = await reader.read();',
    '    if (done) return;',
    '    yield value;',
    '  }',
    '}',
  ].join('\n'),
  python: [
    'import asyncio',
    '',
    'async def stream(queue: asyncio.Queue[str]) -> None:',
    '    while (token := await queue.get()) is not None:',
    '        print(token, end="", flush=True)',
  ].join('\n'),
  bash: [
    '#!/usr/bin/env bash',
    'set -euo pipefail',
    'npm install && npm start',
    'curl -s localhost:8787/healthz | jq .',
  ].join('\n'),
  json: ['{', '  "type": "delta",', '  "messageId": "m_42",', '  "seq": 7,', '  "text": "Hello"', '}'].join(
    '\n',
  ),
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function section(random: () => number, index: number): string {
  const topic = pick(random, topics);
  const lang = pick(random, languages);
  const n = 2 + Math.floor(random() * 3);
  const items = Array.from(
    { length: n },
    (_, i) => `${i + 1}. Step ${i + 1}: keep **${pick(random, topics)}** in mind and check \`seq\` values.`,
  ).join('\n');
  return [
    `## ${index + 1}. About ${topic}`,
    '',
    `Streaming *${topic}* well means sending each token as soon as it exists. ` +
      `See [the WebSocket API](https://developer.mozilla.org/en-US/docs/Web/API/WebSocket) and ` +
      `use \`requestAnimationFrame\` to batch DOM work.`,
    '',
    '- Tokens arrive in small JSON frames',
    '- The client applies them **in order**',
    `- Nothing is lost when the link drops (${Math.floor(random() * 90) + 10} ms typical gap)`,
    '',
    items,
    '',
    '| Stage | Owner | Cost |',
    '| --- | --- | ---: |',
    `| Source | server | ${Math.floor(random() * 9) + 1} ms |`,
    `| Render | browser | ${Math.floor(random() * 9) + 1} ms |`,
    '',
    `\`\`\`${lang}`,
    codeSamples[lang],
    '```',
    '',
    `> Tip: measure before you optimise ${topic}.`,
  ].join('\n');
}

const ECHO_PREFIX = '/echo ';

/**
 * The answer the mock source gives as turn `turn` (0-based count of earlier
 * user messages) of a conversation. A message starting with `/echo ` is
 * answered with the rest of it verbatim, to try any markdown in the demo.
 */
export function mockAnswerFor(userText: string, turn: number, seed: number, sections: number): string {
  if (userText.startsWith(ECHO_PREFIX)) return userText.slice(ECHO_PREFIX.length);
  return mockAnswerText(seed + turn * 7919, sections);
}

/** The full text of the mock answer for `seed`, with `sections` sections. */
export function mockAnswerText(seed: number, sections = 1): string {
  const random = seededRandom(seed);
  const parts = [`# Notes on ${pick(random, topics)}`, ''];
  for (let i = 0; i < sections; i++) {
    parts.push(section(random, i), '');
  }
  parts.push('That is the whole answer.');
  return parts.join('\n');
}

/**
 * Splits text into model-like tokens of 1–8 characters, preferring word
 * boundaries. Joining the result gives back `text` exactly.
 */
export function splitIntoTokens(text: string, seed: number): string[] {
  const random = seededRandom(seed ^ 0x9e3779b9);
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const max = 1 + Math.floor(random() * 8);
    let end = Math.min(text.length, i + max);
    const space = text.indexOf(' ', i + 1);
    if (space > i && space < end) end = space;
    tokens.push(text.slice(i, end));
    i = end;
  }
  return tokens;
}

/** The parts beside the text that the mock gives an answer when asked to (`parts: true`). */
export interface MockParts {
  reasoning: string;
  tool: { id: string; name: string; label: string; summary: string };
  sources: { title: string; url: string; snippet: string }[];
}

/** What the mock "thinks", the step it "takes" and the sources it "cites" for turn `turn` with `seed`. */
export function mockPartsFor(turn: number, seed: number): MockParts {
  const random = seededRandom(seed + turn * 7919 + 1);
  const topic = pick(random, topics);
  return {
    reasoning: [
      `The user asks about **${topic}**. Let me think about what matters here.`,
      '',
      '1. Each token should reach the screen as soon as it exists.',
      `2. A dropped connection must not lose or repeat text: resume from the last \`seq\`.`,
      '',
      `I should check the docs on ${topic} before answering, then cite them.`,
    ].join('\n'),
    tool: {
      id: `search-${turn}`,
      name: 'search_docs',
      label: `Searching the docs for “${topic}”`,
      summary: 'Found 2 pages',
    },
    sources: [
      {
        title: 'The WebSocket API (MDN)',
        url: 'https://developer.mozilla.org/en-US/docs/Web/API/WebSocket',
        snippet: 'The WebSocket object provides the API for creating and managing a WebSocket connection.',
      },
      {
        title: 'RFC 6455: The WebSocket Protocol',
        url: 'https://www.rfc-editor.org/rfc/rfc6455',
        snippet: 'The WebSocket Protocol enables two-way communication between a client and a remote host.',
      },
    ],
  };
}
