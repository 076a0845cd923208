/**
 * Code blocks: the frame around `<pre><code>` (language label and copy
 * button), and the live code block that grows line by line while its fence
 * is still open, highlighted as it arrives and never re-rendered from the start.
 */
import { formatString } from '../strings.js';
import { highlightLine, isHighlighted, type LineState, type Piece } from './highlight.js';

/** The words on a code block's copy button (the widget's `strings` have them). */
export interface CodeBlockLabels {
  copy: string;
  copied: string;
  copyFailed: string;
  /** Accessible name; `{language}` is filled in. */
  copyCode: string;
}

function labelCopyButton(button: Element, language: string, labels: CodeBlockLabels): void {
  button.textContent = labels.copy;
  button.setAttribute('aria-label', formatString(labels.copyCode, { language }));
}

/** Wraps a `<pre>` (whose first child is `<code>`) in the code-block frame, in place. */
export function frameCodeBlock(pre: Element, labels: CodeBlockLabels): HTMLElement {
  const doc = pre.ownerDocument;
  const code = pre.firstElementChild;
  const lang = /(?:^|\s)language-(\S+)/.exec(code?.getAttribute('class') ?? '')?.[1] ?? '';
  const frame = doc.createElement('div');
  frame.className = 'md-code';
  const bar = doc.createElement('div');
  bar.className = 'md-code-bar';
  const label = doc.createElement('span');
  label.className = 'md-code-lang';
  label.textContent = lang || 'text';
  const copy = doc.createElement('button');
  copy.type = 'button';
  copy.className = 'md-copy';
  labelCopyButton(copy, label.textContent, labels);
  bar.append(label, copy);
  pre.replaceWith(frame);
  frame.append(bar, pre);
  return frame as HTMLElement;
}

/** Frames every code block of a sanitized fragment. */
export function frameCodeBlocks(fragment: DocumentFragment, labels: CodeBlockLabels): void {
  for (const pre of fragment.querySelectorAll('pre')) {
    if (pre.firstElementChild?.tagName === 'CODE' && pre.parentElement?.className !== 'md-code') {
      frameCodeBlock(pre, labels);
    }
  }
}

/** Puts new labels on the copy buttons of every code block in `container`. */
export function relabelCodeBlocks(container: Element, labels: CodeBlockLabels): void {
  for (const button of container.querySelectorAll('.md-code-bar > button.md-copy')) {
    labelCopyButton(button, button.previousElementSibling?.textContent ?? '', labels);
  }
}

/** Handles clicks in a container of code blocks: a copy button copies its block's code. */
export function copyCodeOnClick(labels: () => CodeBlockLabels): (event: Event) => void {
  return (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const button = target.closest('button.md-copy');
    const code = button?.closest('.md-code')?.querySelector('pre > code');
    if (!button || !code) return;
    const text = code.textContent ?? '';
    const done = (label: string): void => {
      button.textContent = label;
      setTimeout(() => {
        button.textContent = labels().copy;
      }, 1500);
    };
    if (navigator.clipboard?.writeText) {
      navigator.clipboard.writeText(text).then(
        () => done(labels().copied),
        () => done(labels().copyFailed),
      );
    } else done(labels().copyFailed);
  };
}

function pieceNodes(pieces: Piece[]): Node[] {
  return pieces.map(([kind, text]) => {
    if (!kind) return document.createTextNode(text);
    const span = document.createElement('span');
    span.className = `tok-${kind}`;
    span.textContent = text;
    return span;
  });
}

/** A fenced code block still streaming: finished lines are appended once; only the last line is redrawn. */
export class LiveCodeBlock {
  readonly root: HTMLElement;
  private readonly code: HTMLElement;
  /** Text of the finished lines already shown, newlines included. */
  private done = '';
  private state: LineState = '';
  private partial: Node[] = [];

  constructor(
    readonly lang: string,
    labels: CodeBlockLabels,
  ) {
    const pre = document.createElement('pre');
    this.code = document.createElement('code');
    if (lang) this.code.className = `language-${lang}`;
    pre.append(this.code);
    this.root = frameCodeBlock(pre, labels);
  }

  /** Shows `text` (the code so far); false when it does not extend what is shown (start over). */
  update(text: string): boolean {
    if (!text.startsWith(this.done)) return false;
    const lastNewline = text.lastIndexOf('\n');
    const highlighted = isHighlighted(this.lang);
    if (lastNewline >= this.done.length) {
      const lines = text.slice(this.done.length, lastNewline).split('\n');
      const nodes: Node[] = [];
      for (const line of lines) {
        const pieces: Piece[] = [];
        this.state = highlighted ? highlightLine(this.lang, line, this.state, pieces) : '';
        if (!highlighted) pieces.push([null, line]);
        nodes.push(...pieceNodes(pieces), document.createTextNode('\n'));
      }
      const anchor = this.partial[0] ?? null;
      for (const node of nodes) this.code.insertBefore(node, anchor);
      this.done = text.slice(0, lastNewline + 1);
    }
    const rest = text.slice(this.done.length);
    const pieces: Piece[] = [];
    if (highlighted) highlightLine(this.lang, rest, this.state, pieces);
    else if (rest) pieces.push([null, rest]);
    for (const node of this.partial) node.parentNode?.removeChild(node);
    this.partial = pieceNodes(pieces);
    this.code.append(...this.partial);
    return true;
  }
}
