/**
 * What screen readers hear: each announcement once, through a polite,
 * visually hidden live region (a new paragraph each time, so the same text
 * twice is read twice). The log itself is not live: streaming text would be
 * read token by token.
 */
import { html, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';

/** Longest text read out; nobody listens to megabytes, and laying them out in the region would stall the page. */
const MAX_ANNOUNCED = 4000;

/** `text`, cut to what is worth reading out. */
export function clipForReading(text: string): string {
  return text.length > MAX_ANNOUNCED ? `${text.slice(0, MAX_ANNOUNCED)}…` : text;
}

/** Needs no lifecycle hook: it only asks its host to render the region again. */
export class LiveAnnouncer {
  private text = '';
  private count = 0;

  constructor(private readonly host: ReactiveControllerHost) {}

  /** Says `text` once. */
  announce(text: string): void {
    this.count++;
    this.text = text;
    this.host.requestUpdate();
  }

  /** The live region, rendered once at the end of the host's template. */
  render(): TemplateResult {
    return html`<div class="sr-only" aria-live="polite">${keyed(this.count, html`<p>${this.text}</p>`)}</div>`;
  }
}
