/**
 * Fixed, seeded corpora for the render benchmark: markdown answers of about
 * the requested size mixing prose (with inline emphasis, code and links),
 * nested lists, tables and many fenced code blocks, each ending with a
 * sentinel word, so a page can tell when the final text is on screen. Also
 * the hostile inputs of issue 10 point 9, and a tokenizer that splits text
 * into chunks of about the size a model streams (~4 characters).
 */

/** The last word of every corpus; "final text on screen" means this is in the DOM. */
export const SENTINEL = 'ZZENDOFANSWERZZ';

function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a stream of tokens renders into the page while the reader follows every line and ' +
  'nothing freezes because each frame does a bounded piece of work model answer latency ' +
  'browser layout paint script budget socket server client message buffer parser block ' +
  'inline heading paragraph list table code fence language highlight sanitize allow policy ' +
  'request response connection resume sequence delta snapshot history conversation user'
).split(' ');

const CODE = {
  js: [
    "import { readFile } from 'node:fs/promises';",
    'export async function load(path, options = {}) {',
    "  const text = await readFile(path, 'utf8'); // read it once",
    '  const lines = text.split("\\n").filter((line) => line.trim() !== "");',
    '  for (const [index, line] of lines.entries()) {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: code shown in the answer, not a template
    '    if (options.verbose) console.log(`${index + 1}: ${line}`);',
    '  }',
    '  return { count: lines.length, bytes: text.length * 2, ok: true };',
    '}',
  ],
  python: [
    'from dataclasses import dataclass',
    '',
    '@dataclass',
    'class Point:',
    '    x: float = 0.0  # horizontal',
    '    y: float = 0.0',
    '',
    '    def norm(self) -> float:',
    '        return (self.x ** 2 + self.y ** 2) ** 0.5',
    '',
    'print([Point(i, i * 2).norm() for i in range(10)])',
  ],
  ts: [
    'interface Frame { type: "delta"; seq: number; text: string }',
    'export function apply(frames: Frame[], text = ""): string {',
    '  let last = 0;',
    '  for (const frame of frames) {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: code shown in the answer, not a template
    '    if (frame.seq !== last + 1) throw new Error(`gap after ${last}`);',
    '    text += frame.text;',
    '    last = frame.seq;',
    '  }',
    '  return text;',
    '}',
  ],
  bash: [
    '#!/usr/bin/env bash',
    'set -euo pipefail',
    'for file in "$@"; do',
    '  echo "checking $file"',
    '  grep -c "TODO" "$file" || true',
    'done',
  ],
};

function sentence(rand, words) {
  const out = [];
  for (let i = 0; i < words; i++) {
    let word = WORDS[Math.floor(rand() * WORDS.length)];
    const r = rand();
    if (r < 0.04) word = `**${word}**`;
    else if (r < 0.07) word = `*${word}*`;
    else if (r < 0.1) word = `\`${word}()\``;
    else if (r < 0.12) word = `[${word}](https://example.com/${word})`;
    out.push(word);
  }
  const text = out.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

function paragraph(rand) {
  const n = 2 + Math.floor(rand() * 4);
  return Array.from({ length: n }, () => sentence(rand, 6 + Math.floor(rand() * 14))).join(' ');
}

function list(rand) {
  const lines = [];
  const ordered = rand() < 0.4;
  for (let i = 1; i <= 3 + Math.floor(rand() * 3); i++) {
    lines.push(`${ordered ? `${i}.` : '-'} ${sentence(rand, 5 + Math.floor(rand() * 8))}`);
    const pad = ordered ? '   ' : '  ';
    if (rand() < 0.6) {
      for (let j = 0; j < 2 + Math.floor(rand() * 2); j++) {
        lines.push(`${pad}- ${sentence(rand, 4 + Math.floor(rand() * 6))}`);
        if (rand() < 0.4) lines.push(`${pad}  - ${sentence(rand, 3 + Math.floor(rand() * 5))}`);
      }
    }
  }
  return lines.join('\n');
}

function table(rand) {
  const cols = 3 + Math.floor(rand() * 3);
  const row = () =>
    `| ${Array.from({ length: cols }, () => (rand() < 0.5 ? WORDS[Math.floor(rand() * WORDS.length)] : String(Math.floor(rand() * 1000)))).join(' | ')} |`;
  const lines = [row(), `|${' --- |'.repeat(cols)}`];
  for (let i = 0; i < 4 + Math.floor(rand() * 5); i++) lines.push(row());
  return lines.join('\n');
}

function codeBlock(rand) {
  const langs = Object.keys(CODE);
  const lang = langs[Math.floor(rand() * langs.length)];
  return `\`\`\`${lang}\n${CODE[lang].join('\n')}\n\`\`\``;
}

/** A markdown answer of about `bytes` bytes (UTF-8; the text is ASCII), ending with SENTINEL. */
export function makeCorpus(bytes, seed = 1) {
  const rand = random(seed);
  const blocks = [];
  let size = 0;
  let section = 0;
  while (size < bytes - 200) {
    const kind = rand();
    let block;
    if (size === 0 || kind < 0.08) block = `## Section ${++section}: ${sentence(rand, 4).slice(0, -1)}`;
    else if (kind < 0.45) block = paragraph(rand);
    else if (kind < 0.65) block = list(rand);
    else if (kind < 0.78) block = table(rand);
    else block = codeBlock(rand);
    blocks.push(block);
    size += block.length + 2;
  }
  blocks.push(`That is all. ${SENTINEL}`);
  return blocks.join('\n\n');
}

/** The hostile inputs of issue 10 point 9, each ending with SENTINEL (on a line of its own where the input is one line). */
export function hostileInputs() {
  return {
    'nested quotes (10,000)': `${'> '.repeat(10_000)}a\n\n${SENTINEL}`,
    'nested list levels (10,000)': `${'- '.repeat(10_000)}a\n\n${SENTINEL}`,
    "'**a**' x 50,000": `${'**a**'.repeat(50_000)}\n\n${SENTINEL}`,
    '5 MB single line': `${'lorem ipsum dolor sit amet '.repeat(Math.ceil((5 * 1024 * 1024) / 27)).slice(0, 5 * 1024 * 1024)}\n\n${SENTINEL}`,
    '128 KB word with no break': `${'x'.repeat(128 * 1024)}\n\n${SENTINEL}`,
  };
}

/**
 * Splits text into model-like tokens: a word with its leading space (long
 * words in pieces of up to 8 letters), a number of up to 3 digits, up to
 * three punctuation marks, or a run of newlines with the next line's
 * indentation. About 4 characters each on this corpus.
 */
export function tokenize(text) {
  const tokens = text.match(/ *[A-Za-z]{1,8}| *\d{1,3}|\n+ *|[^A-Za-z\d\n ]{1,3}| +/g) ?? [];
  if (tokens.join('') !== text) throw new Error('tokenize lost text');
  return tokens;
}

/** Splits text into chunks of exactly `size` characters (the last may be shorter). */
export function fixedChunks(text, size) {
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
