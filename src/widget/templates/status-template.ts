/** The status line under the log: empty (and quiet) while all is well. */
import { html, nothing, type TemplateResult } from 'lit';
import { formatString } from '../strings.js';
import type { ChatActions, ChatView } from './chat-view.js';

function statusText({ status, ui, secondsToRetry, statusDetail, serverReached }: ChatView): string {
  switch (status) {
    case 'connecting':
      return ui.connecting;
    case 'reconnecting':
      if (!serverReached)
        return secondsToRetry > 0
          ? formatString(ui.unreachableIn, { seconds: secondsToRetry })
          : ui.unreachable;
      return secondsToRetry > 0
        ? formatString(ui.reconnectingIn, { seconds: secondsToRetry })
        : ui.reconnecting;
    case 'offline':
      return ui.offline;
    case 'stopped':
      return formatString(ui.disconnected, { reason: statusDetail });
    default:
      return '';
  }
}

export function renderStatus(view: ChatView, actions: ChatActions): TemplateResult {
  const text = statusText(view);
  const canRetry = view.status === 'reconnecting' || view.status === 'stopped';
  return html`<div class="status" part="status" role="status">${text ? html`<span>${text}</span>` : nothing}${
    canRetry
      ? html`<button type="button" class="ghost" @click=${actions.reconnect}>${view.ui.reconnectNow}</button>`
      : nothing
  }</div>`;
}
