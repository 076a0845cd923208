/**
 * Same result as one-shot: for every CommonMark spec example and our own GFM
 * corpus, the final DOM after streaming in random chunks (fixed seeds) equals
 * rendering the whole text at once through the same pipeline. Deliberate
 * differences are listed in README.md ("Markdown") and skipped here by number.
 */
import { expect } from 'chai';
import { mockAnswerText } from '../../src/dev-server/sources/mock-answer.js';
import { MarkdownStream } from '../../src/widget/markdown/markdown-stream.js';
import { chunkEnds } from './helpers.js';

/**
 * Spec examples whose streamed result differs on purpose: a reference
 * definition that comes after its use in a later top-level block (finished
 * blocks are never re-rendered, so the use stays literal text).
 */
export const DELIBERATE_DIFFERENCES: Record<number, string> = {};

interface Example {
  markdown: string;
  number: number;
  section: string;
}

/** The examples of spec.txt, parsed as the commonmark-spec package does (its index.js needs node:fs). */
async function specExamples(): Promise<Example[]> {
  const text = await (await fetch('/node_modules/commonmark-spec/spec.txt')).text();
  const examples: Example[] = [];
  let section = '';
  const body = text.replace(/\r\n?/g, '\n').replace(/^<!-- END TESTS -->(.|[\n])*/m, '');
  const re = /^`{32} example\n([\s\S]*?)^\.\n([\s\S]*?)^`{32}$|^#{1,6} *(.*)$/gm;
  for (const m of body.matchAll(re)) {
    if (m[3] !== undefined) section = m[3];
    else
      examples.push({ markdown: (m[1] as string).replace(/→/g, '\t'), number: examples.length + 1, section });
  }
  return examples;
}

function renderOneShot(text: string): string {
  const container = document.createElement('div');
  const stream = new MarkdownStream(container);
  stream.update(text, true);
  stream.flush();
  return container.innerHTML;
}

function renderStreamed(text: string, seed: number, maxChunk: number): string {
  const container = document.createElement('div');
  const stream = new MarkdownStream(container);
  for (const end of chunkEnds(text, seed, maxChunk)) {
    stream.update(text.slice(0, end), false);
    stream.flush();
  }
  stream.update(text, true);
  stream.flush();
  return container.innerHTML;
}

const GFM_CORPUS = [
  '| a | b |\n|---|:-:|\n| 1 | **2** |\n| `3` | [4](https://x.example) |\n\nAfter the table.',
  '- [ ] todo\n- [x] done\n  - nested item\n    1. deep\n    2. deeper\n\n- loose item',
  '~~struck~~ and ~single~ and www.example.com and https://example.com/path?q=1 and a@b.example',
  '```ts\nconst a: number = 1;\n/* multi\nline */\n```\n\n```python\n"""doc\nstring"""\nx = 1\n```',
  '> quote with **bold**\n> and a list:\n> - a\n> - b\n\nParagraph\nwith lines.\n\n***\n\n# H1\n## H2\n\nSetext\n===',
  '1. one\n2. two\n\n   continued para\n\n3. three\n\n```\nplain fence\n```\n\n    indented code\n\nend',
  'Text with a footnote-like [^1] and [ref link][r] and ![img](https://i.example/p.png "t").\n\n[r]: https://r.example "Title"',
  '<div>raw html block</div>\n\n<span>inline</span> html and <!-- comment -->\n\nHard  \nbreak and back\\\nslash break.',
];

describe('streamed equals one-shot', () => {
  it('for every CommonMark spec example, in random chunks (3 seeds)', async function () {
    // About 2,000 streamed renders: seconds in Chromium, but JavaScriptCore's marked is far slower
    // (README, Browsers tested), past the 30 s default on a busy machine.
    this.timeout(180_000);
    const examples = await specExamples();
    expect(examples.length).to.be.greaterThan(600);
    const failures: string[] = [];
    for (const ex of examples) {
      if (ex.number in DELIBERATE_DIFFERENCES) continue;
      const expected = renderOneShot(ex.markdown);
      for (let seed = 1; seed <= 3; seed++) {
        const actual = renderStreamed(ex.markdown, ex.number * 10 + seed, 1 + seed * 3);
        if (actual !== expected) {
          failures.push(`#${ex.number} (${ex.section}) seed ${seed}: ${JSON.stringify(ex.markdown)}`);
          break;
        }
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });

  it('for the GFM corpus and long mock answers, in random chunks (5 seeds)', () => {
    const corpus = [...GFM_CORPUS, GFM_CORPUS.join('\n\n'), mockAnswerText(4, 3), mockAnswerText(9, 2)];
    for (const [i, text] of corpus.entries()) {
      const expected = renderOneShot(text);
      for (let seed = 1; seed <= 5; seed++) {
        const actual = renderStreamed(text, i * 100 + seed, seed * 7);
        let at = 0;
        while (at < actual.length && actual[at] === expected[at]) at++;
        const where = `corpus ${i} seed ${seed} at ${at}: ${JSON.stringify(expected.slice(at - 80, at + 80))} vs ${JSON.stringify(actual.slice(at - 80, at + 80))}`;
        expect(actual === expected, where).to.equal(true);
      }
    }
  });
});
