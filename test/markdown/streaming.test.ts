/** The incremental renderer: frozen blocks, frame budget, healed tail, live code, hostile sizes. */
import { expect } from 'chai';
import { MarkdownStream } from '../../src/widget/markdown/markdown-stream.js';
import { itExcept, waitFor } from '../helpers/browser.js';
import { frame, renderOnce, settle, streamInChunks } from './helpers.js';

/** Renders every prefix of `text` (one frame each) and hands each rendered container to `check`. */
async function everyPrefix(
  text: string,
  check: (container: HTMLElement, prefix: string) => void,
): Promise<void> {
  const container = document.createElement('div');
  const stream = new MarkdownStream(container);
  for (let end = 1; end <= text.length; end++) {
    stream.update(text.slice(0, end), false);
    await settle(stream);
    check(container, text.slice(0, end));
  }
  stream.dispose();
}

describe('MarkdownStream: frozen blocks', () => {
  it('keeps the node identity, the selection and the focus inside finished blocks as tokens arrive', async () => {
    const container = document.createElement('div');
    document.body.append(container);
    const stream = new MarkdownStream(container);
    // The paragraph is finished once the next block has begun.
    let text = '# Title\n\nFirst paragraph with [a link](https://example.com/).\n\nNext paragraph.\n\n';
    stream.update(text, false);
    await settle(stream);
    const heading = container.querySelector('h1');
    const paragraph = container.querySelector('p') as HTMLElement;
    const link = container.querySelector('a') as HTMLAnchorElement;
    link.focus();
    const range = document.createRange();
    range.setStart(paragraph.firstChild as Text, 2);
    range.setEnd(paragraph.firstChild as Text, 8);
    const selection = getSelection() as Selection;
    selection.removeAllRanges();
    selection.addRange(range);
    for (let i = 0; i < 30; i++) {
      text += `Block ${i} with **bold** and \`code\`.\n\n`;
      stream.update(text, false);
      await frame();
    }
    stream.update(text, true);
    await settle(stream);
    expect(container.querySelector('h1')).to.equal(heading);
    expect(container.querySelector('p')).to.equal(paragraph);
    expect(document.activeElement).to.equal(link);
    expect(selection.rangeCount).to.equal(1);
    expect(selection.toString()).to.equal('rst pa');
    expect(container.querySelectorAll('p').length).to.equal(32);
    container.remove();
  });

  it('renders each finished block exactly once', async () => {
    const container = document.createElement('div');
    const added: Node[] = [];
    const observer = new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.nodeName === 'P') added.push(n);
    });
    observer.observe(container, { childList: true, subtree: true });
    const text = Array.from({ length: 20 }, (_, i) => `Paragraph number ${i} is here.`).join('\n\n');
    await streamInChunks(text, 7, { container, maxChunk: 5 });
    observer.disconnect();
    // Every paragraph that is not the live one was appended once; live re-renders add the last ones again.
    const finals = [...container.querySelectorAll('p')];
    expect(finals.length).to.equal(20);
    for (const p of finals.slice(0, 19)) expect(added.filter((n) => n === p).length).to.equal(1);
    // The others are renders of the live block: prefixes of a paragraph, each replaced later.
    const liveRenders = added.filter((n) => !finals.includes(n as HTMLParagraphElement));
    expect(liveRenders.length).to.be.greaterThan(0);
    for (const n of liveRenders) expect(n.parentNode).to.equal(null);
  });
});

describe('MarkdownStream: frame budget', () => {
  itExcept(
    {
      webkit:
        "a known difference (README): marked's block lexer is quadratic in JavaScriptCore, and this 130 KB backlog takes minutes",
    },
    'touches nothing until a frame, then catches up on a large backlog over several frames',
    async () => {
      // A warm engine: on a cold page the first frames go to the warm-up samples (cold-start.test.ts).
      await renderOnce('warm');
      const container = document.createElement('div');
      const stream = new MarkdownStream(container);
      const text = Array.from(
        { length: 3000 },
        (_, i) => `Paragraph ${i} with *emphasis* and \`code\`.`,
      ).join('\n\n');
      stream.update(text, true);
      expect(container.childNodes.length).to.equal(0);
      await frame();
      const afterOne = container.querySelectorAll('p').length;
      expect(afterOne, 'some blocks rendered in the first frame').to.be.greaterThan(0);
      expect(afterOne, 'the backlog is spread over frames').to.be.lessThan(3000);
      expect(stream.pending).to.equal(true);
      await settle(stream);
      expect(container.querySelectorAll('p').length).to.equal(3000);
    },
  );

  it('does no rendering work while no frame runs (hidden tab), however much text arrives', async () => {
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    // Between two frames, thousands of updates only store the latest text.
    let text = '';
    for (let i = 0; i < 5000; i++) {
      text += `word${i} `;
      stream.update(text, false);
    }
    expect(container.childNodes.length).to.equal(0);
    await settle(stream);
    expect(container.textContent?.trim()).to.equal(text.trim());
  });
});

describe('MarkdownStream: healed tail', () => {
  const corpus = [
    'Some **bold text** and more, then *italic words* here.',
    'Use `npm install` to set up, and __strong__ or _em_ too.',
    'A [link to docs](https://example.com/docs) inside, and ~~gone~~ text.',
    '- item with **bold**\n- item with `code`\n- item with [a link](https://x.example/)',
    '> quoted **bold** and *em*',
    'Mixed ***strong em*** then **bold with `code` inside** end.',
  ];
  for (const text of corpus) {
    it(`never shows raw markers while streaming: ${JSON.stringify(text.slice(0, 30))}…`, async () => {
      const final = (await renderOnce(text)).textContent as string;
      expect(final).not.to.match(/[*_`~[\]]/, 'the finished text shows no markers');
      await everyPrefix(text, (container, prefix) => {
        expect(
          container.textContent,
          `after ${JSON.stringify(prefix)}: ${JSON.stringify(container.textContent)}`,
        ).not.to.match(/[*_`~[\]]/);
        expect(container.textContent).not.to.contain('](');
      });
    });
  }

  it('closes emphasis and code as the finished text would render it', async () => {
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    stream.update('Some **bold te', false);
    await settle(stream);
    expect(container.querySelector('strong')?.textContent).to.equal('bold te');
    stream.update('Some **bold text** and `npm i', false);
    await settle(stream);
    expect(container.querySelector('code')?.textContent).to.equal('npm i');
    stream.update('Some **bold text** and `npm i` then [docs](https://exa', false);
    await settle(stream);
    expect(container.querySelector('a')).to.equal(null);
    expect(container.textContent).to.contain('docs');
    expect(container.textContent).not.to.contain('https://exa');
  });

  it('holds back the < of an autolink until its > arrives', async () => {
    const text = 'See <https://example.com/docs> or <team@example.com> for more.';
    await everyPrefix(text, (container, prefix) => {
      expect(container.textContent, JSON.stringify(prefix)).not.to.contain('<');
    });
    const links = [...(await renderOnce(text)).querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(links).to.deep.equal(['https://example.com/docs', 'mailto:team@example.com']);
  });

  it('does not turn a paragraph into a heading while a list item starts under it', async () => {
    const text = 'Steps to take\n- first step\n- second step';
    await everyPrefix(text, (container, prefix) => {
      expect(container.querySelector('h1, h2'), JSON.stringify(prefix)).to.equal(null);
    });
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    stream.update('Title\n===', false);
    await settle(stream);
    expect(container.querySelector('h1'), 'a bare underline is held back').to.equal(null);
    stream.update('Title\n===\n', false);
    await settle(stream);
    expect(container.querySelector('h1')?.textContent, 'a finished underline makes the heading').to.equal(
      'Title',
    );
  });

  it('shows a table as soon as its header row is complete, never half rows as a paragraph', async () => {
    const text = '| Name | Value |\n|------|-------|\n| a | 1 |\n| b | 2 |';
    await everyPrefix(text, (container, prefix) => {
      if (prefix.includes('|\n') || prefix.split('\n').length > 1) {
        expect(container.querySelector('table'), JSON.stringify(prefix)).to.exist;
        expect(container.querySelector('p'), JSON.stringify(prefix)).to.equal(null);
      }
    });
  });

  it('renders an unclosed fence as code, with its text appearing as it arrives', async () => {
    const text = '```python\ndef f(x):\n    return x + 1\n';
    await everyPrefix(text, (container, prefix) => {
      if (!prefix.includes('\n')) return;
      const code = container.querySelector('pre > code');
      expect(code, JSON.stringify(prefix)).to.exist;
      expect(container.textContent).not.to.contain('```');
      expect(code?.textContent).to.equal(prefix.slice(prefix.indexOf('\n') + 1).replace(/\n$/, ''));
    });
  });
});

describe('MarkdownStream: code blocks', () => {
  it('highlights a known language line by line while the fence is open', async () => {
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    stream.update('```js\nconst a = "x"; // note\n', false);
    await settle(stream);
    const first = container.querySelector('pre > code');
    expect(first?.className).to.equal('language-js');
    expect(first?.querySelector('.tok-keyword')?.textContent).to.equal('const');
    expect(first?.querySelector('.tok-string')?.textContent).to.equal('"x"');
    expect(first?.querySelector('.tok-comment')?.textContent).to.equal('// note');
    stream.update('```js\nconst a = "x"; // note\nlet b;\n', false);
    await settle(stream);
    const firstLine = first?.firstChild;
    stream.update('```js\nconst a = "x"; // note\nlet b;\nreturn 42;\n', false);
    await settle(stream);
    const code = container.querySelector('pre > code');
    expect(code, 'the live code block grows in place').to.equal(first);
    expect(code?.firstChild, 'finished lines are not redrawn').to.equal(firstLine);
    expect([...(code?.querySelectorAll('.tok-keyword') ?? [])].map((e) => e.textContent)).to.deep.equal([
      'const',
      'let',
      'return',
    ]);
    expect(code?.querySelector('.tok-number')?.textContent).to.equal('42');
  });

  const samples: [string, string, string][] = [
    ['ts', 'interface A { b: number }', 'interface'],
    ['python', 'def f(): return None', 'def'],
    ['bash', 'if [ -f x ]; then echo $HOME; fi', 'if'],
    ['json', '{"a": true}', 'true'],
    ['html', '<div class="a">x</div>', '<div'],
    ['css', '@media screen { a { color: #fff } }', '@media'],
    ['sql', 'SELECT a FROM t WHERE b = 1', 'SELECT'],
    ['go', 'func main() { return }', 'func'],
    ['rust', 'fn main() { let x = 1; }', 'fn'],
    ['java', 'public class A {}', 'public'],
    ['c', '#include <stdio.h>', '#include <stdio.h>'],
    ['cpp', 'template <typename T> class A;', 'template'],
  ];
  for (const [lang, code, token] of samples) {
    it(`highlights ${lang}`, async () => {
      const container = await renderOnce(`\`\`\`${lang}\n${code}\n\`\`\``);
      const spans = [...container.querySelectorAll('code [class^="tok-"]')].map((s) => s.textContent);
      expect(spans).to.include(token);
      expect(container.querySelector('pre > code')?.textContent).to.equal(`${code}\n`);
    });
  }

  it('never guesses a language: unknown or missing languages render plain', async () => {
    const container = await renderOnce('```\nconst x = 1;\n```\n\n```brainfuck\nconst x = 1;\n```');
    expect(container.querySelectorAll('code [class^="tok-"]').length).to.equal(0);
    const labels = [...container.querySelectorAll('.md-code-lang')].map((l) => l.textContent);
    expect(labels).to.deep.equal(['text', 'brainfuck']);
  });

  it('gives every code block a language label and a copy button that copies its code', async () => {
    const container = await renderOnce('```sql\nSELECT 1;\n```');
    document.body.append(container);
    expect(container.querySelector('.md-code-lang')?.textContent).to.equal('sql');
    const button = container.querySelector('button.md-copy') as HTMLButtonElement;
    expect(button.type).to.equal('button');
    let copied: string | undefined;
    const clipboard = navigator.clipboard;
    const original = clipboard.writeText;
    clipboard.writeText = async (text: string) => {
      copied = text;
    };
    try {
      // The listener lives on the stream's container; renderOnce disposed it, so stream again.
      const live = document.createElement('div');
      document.body.append(live);
      const stream = new MarkdownStream(live);
      stream.update('```sql\nSELECT 1;\n```', true);
      await settle(stream);
      (live.querySelector('button.md-copy') as HTMLButtonElement).click();
      await waitFor(() => copied !== undefined, 'the copy');
      expect(copied).to.equal('SELECT 1;\n');
      live.remove();
    } finally {
      clipboard.writeText = original;
      container.remove();
    }
  });
});

describe('MarkdownStream: hostile sizes', () => {
  it('10,000 nested quotes fall back to escaped text and the stream goes on', async () => {
    const deep = `${'> '.repeat(10_000)}deep`;
    const text = `Before.\n\n${deep}\n\nAfter **this**.`;
    const container = await streamInChunks(text, 3, { maxChunk: 4000 });
    expect(container.querySelector('p')?.textContent).to.equal('Before.');
    expect(container.querySelector('.md-plain')?.textContent).to.equal(deep);
    expect(container.querySelector('strong')?.textContent).to.equal('this');
    expect(container.querySelectorAll('blockquote').length).to.equal(0);
  });

  it('10,000 nested list levels fall back to escaped text', async () => {
    const deep = Array.from({ length: 10_000 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');
    const container = await renderOnce(`${deep}\n\nAfter.`);
    expect(container.querySelector('.md-plain')).to.exist;
    expect([...container.querySelectorAll('p')].at(-1)?.textContent).to.equal('After.');
  });

  it("'**a**' x 50,000 shows as text while it streams and once complete", async () => {
    const text = '**a**'.repeat(50_000);
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    stream.update(text.slice(0, 100_000), false);
    await settle(stream);
    expect(container.querySelector('.md-plain')?.textContent).to.equal(text.slice(0, 100_000));
    stream.update(text, true);
    await settle(stream);
    expect(container.textContent).to.equal(text);
    expect(container.querySelectorAll('strong').length).to.equal(0);
  });

  it('a live block too dense to re-render in a frame shows as text until it is finished, then renders', async () => {
    // 10 KB of **a**: under the line and block limits, but 2,000 inline elements.
    const dense = '**a**'.repeat(2000);
    const container = document.createElement('div');
    const stream = new MarkdownStream(container);
    stream.update(dense.slice(0, 4000), false);
    await settle(stream);
    // Large strings compare as booleans: chai's diff of two long strings can take minutes.
    expect(container.querySelector('.md-plain')?.textContent === dense.slice(0, 4000)).to.equal(true);
    expect(container.querySelectorAll('strong').length).to.equal(0);
    stream.update(dense, false);
    await settle(stream);
    expect(container.querySelectorAll('strong').length, 'still live').to.equal(0);
    stream.update(`${dense}\n\nAfter **this**`, false);
    await settle(stream);
    expect(container.querySelector('.md-plain')).to.equal(null);
    const finished = (await renderOnce(dense)).querySelector('p')?.outerHTML;
    expect(container.querySelector('p')?.outerHTML === finished, 'the finished block, rendered').to.equal(
      true,
    );
    expect(container.querySelectorAll('p')[1]?.innerHTML).to.equal('After <strong>this</strong>');
    stream.update(`${dense}\n\nAfter **this**.`, true);
    await settle(stream);
    const oneShot = (await renderOnce(`${dense}\n\nAfter **this**.`)).innerHTML;
    expect(container.innerHTML === oneShot, 'the same DOM as a one-shot render').to.equal(true);
    stream.dispose();
  });

  it('a 5 MB single line and a 128 KB word render as chunked text', async () => {
    const line = 'lorem ipsum '.repeat(440_000);
    const container = await renderOnce(line);
    expect(container.textContent === line).to.equal(true);
    expect(container.querySelector('.md-plain')?.children.length).to.be.greaterThan(100);
    // Every full chunk is closed (skipped while off screen); only the last one, still filling, is not.
    const chunks = container.querySelector('.md-plain')?.children.length ?? 0;
    expect(container.querySelectorAll('.md-plain > .md-closed').length).to.equal(chunks - 1);
    const word = 'x'.repeat(128 * 1024);
    const wordContainer = await renderOnce(`Start.\n\n${word}\n\nEnd.`);
    expect(wordContainer.querySelector('p')?.textContent).to.equal('Start.');
    expect(wordContainer.querySelector('.md-plain')?.textContent === word).to.equal(true);
    expect([...wordContainer.querySelectorAll('p')].at(-1)?.textContent).to.equal('End.');
  });
});
