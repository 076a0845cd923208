/**
 * The widget against a server that requires session tokens: it fetches one
 * from session-url, renews it when the server closes with 4001 (token
 * expired) mid-answer, resumes exactly, and a new widget on the page
 * (as after a reload) renews the stored token into the same conversation.
 */
import { expect } from 'chai';
import '../../dist/ai-stream-chat.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  answerDone,
  mountChat,
  type RunningDevServer,
  startDevServer,
  stopDevServer,
  unmountChats,
  waitFor,
} from '../helpers/browser.js';

describe('session-url', () => {
  let server: RunningDevServer | undefined;

  afterEach(async () => {
    unmountChats();
    await stopDevServer(server);
    server = undefined;
  });

  function mount(s: RunningDevServer): Promise<AiStreamChat> {
    return mountChat(`url="${s.wsUrl}" session-url="${s.httpUrl}/session" persist="session"`);
  }

  it('streams with a token, renews it after 4001 mid-answer, and resumes exactly', async () => {
    server = await startDevServer([
      '--require-session',
      '--allowed-origins',
      location.origin,
      '--session-ttl-ms',
      '2000',
      '--rate',
      '80',
      '--sections',
      '2',
      '--seed',
      '4',
    ]);
    const el = await mount(server);
    const statuses: string[] = [];
    el.addEventListener('ai-chat-connection-change', (e) => statuses.push(e.detail.status));
    el.send('a long answer');
    const answer = await answerDone(el);
    expect(answer.text).to.equal(mockAnswerFor('a long answer', 0, 4, 2));
    expect(el.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant']);
    expect(
      statuses.filter((s) => s === 'reconnecting').length,
      'the token expired mid-answer',
    ).to.be.greaterThan(0);

    // A new widget (as after a reload) renews the stored token: same conversation, full history.
    el.remove();
    const again = await mount(server);
    await waitFor(() => again.messages.length === 2 && again.messages[1]?.status === 'done', 'the history');
    expect(again.messages[1]?.text).to.equal(answer.text);
  });

  it('without an allowed origin the session endpoint and the socket refuse the page', async () => {
    server = await startDevServer(['--require-session', '--allowed-origins', 'https://elsewhere.example']);
    const el = await mount(server);
    el.send('hello?');
    await waitFor(
      () => /Retrying|Reconnecting|Connecting/.test(el.shadowRoot?.textContent ?? ''),
      'a visible retry',
    );
    // Proves the message never goes out: give a connection that was wrongly let in time to send it.
    await new Promise((r) => setTimeout(r, 300));
    expect(el.messages.map((m) => m.status)).to.deep.equal(['pending']);
  });
});
