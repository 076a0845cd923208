/**
 * What a user sees when things go wrong: a reload in the middle of an
 * answer, a server restart that loses the conversation, Stop, and a refused
 * message. The built bundle against the real dev server binary.
 */
import { expect } from 'chai';
import '../../dist/ai-stream-chat.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import type { AiStreamChat } from '../../src/widget/ai-stream-chat.js';
import {
  answerDone,
  EmbedFrame,
  mountChat,
  type RunningDevServer,
  settled,
  shadow,
  startDevServer,
  stopDevServer,
  unmountChats,
  waitFor,
} from '../helpers/browser.js';

const SEED = 9;
let servers: RunningDevServer[] = [];
let cleanup: (() => void)[] = [];

async function server(args: string[], port = 0): Promise<RunningDevServer> {
  const s = await startDevServer(['--seed', String(SEED), ...args], port);
  servers.push(s);
  return s;
}

const mount = (wsUrl: string): Promise<AiStreamChat> => mountChat(`url="${wsUrl}"`);

afterEach(async () => {
  unmountChats();
  for (const c of cleanup) c();
  cleanup = [];
  for (const s of servers) await stopDevServer(s);
  servers = [];
});

describe('reload in the middle of an answer', () => {
  it('shows the history and continues the live answer, with no duplicate and no gap', async () => {
    const s = await server(['--rate', '150', '--sections', '2']);
    const embed = new EmbedFrame(s.wsUrl);
    cleanup.push(() => embed.remove());
    const before = await embed.open();
    before.send('Explain streaming');
    await waitFor(
      () => (before.messages.find((m) => m.role === 'assistant')?.text.length ?? 0) > 200,
      'some text',
    );

    const after = await embed.open();
    // Right after the reload the answer is still streaming, from the history the server sent back.
    const resumed = await waitFor(
      () => after.messages.find((m) => m.role === 'assistant' && m.text.length > 0),
      'the answer back from the history',
    );
    expect(resumed.status).to.equal('streaming');
    const done = await answerDone(after);
    expect(after.messages.map((m) => [m.role, m.status])).to.deep.equal([
      ['user', 'done'],
      ['assistant', 'done'],
    ]);
    expect(after.messages[0]?.text).to.equal('Explain streaming');
    expect(done.text).to.equal(mockAnswerFor('Explain streaming', 0, SEED, 2));
    await settled(after);
    const md = shadow(after).querySelector('.assistant .markdown');
    expect(md?.querySelectorAll('h1').length, 'the heading is rendered once').to.equal(1);
  });
});

describe('server restart with the in-memory store', () => {
  it('marks the partial answer interrupted, says the conversation is gone, and Regenerate works', async () => {
    const first = await server(['--rate', '100', '--sections', '3']);
    const el = await mount(first.wsUrl);
    el.send('What is backpressure?');
    await waitFor(
      () => (el.messages.find((m) => m.role === 'assistant')?.text.length ?? 0) > 50,
      'some text',
    );
    await stopDevServer(first);
    servers = servers.filter((x) => x !== first);
    const port = Number(new URL(first.httpUrl).port);
    await waitFor(
      () => /Reconnecting/.test(shadow(el).querySelector('.status')?.textContent ?? ''),
      'reconnecting',
    );
    await server(['--rate', 'max', '--sections', '3'], port);

    const interrupted = await waitFor(
      () => el.messages.find((m) => m.role === 'assistant' && m.finishReason === 'interrupted'),
      'the answer marked interrupted',
    );
    expect(interrupted.text.length).to.be.greaterThan(50);
    expect(mockAnswerFor('What is backpressure?', 0, SEED, 3).startsWith(interrupted.text)).to.equal(true);
    await settled(el);
    expect(shadow(el).querySelector('.notice')?.textContent).to.match(/no longer has this conversation/);
    expect(shadow(el).querySelector('.assistant')?.textContent).to.match(/interrupted/);

    const regenerate = shadow(el).querySelector<HTMLButtonElement>('[part="regenerate-button"]');
    expect(regenerate, 'a Regenerate control').to.exist;
    regenerate?.click();
    const fresh = await answerDone(el, 2);
    expect(fresh.text).to.equal(mockAnswerFor('What is backpressure?', 0, SEED, 3));
  });
});

describe('Stop and Retry', () => {
  it('Stop while streaming ends the answer as cancelled', async () => {
    const s = await server(['--rate', '100', '--sections', '3']);
    const el = await mount(s.wsUrl);
    el.send('long answer please');
    await waitFor(
      () => (el.messages.find((m) => m.role === 'assistant')?.text.length ?? 0) > 20,
      'some text',
    );
    await settled(el);
    const stop = shadow(el).querySelector<HTMLButtonElement>('[part="stop-button"]');
    expect(stop, 'Stop replaces Send while streaming').to.exist;
    stop?.click();
    const answer = await answerDone(el);
    expect(answer.finishReason).to.equal('cancelled');
    expect(answer.text.length).to.be.lessThan(mockAnswerFor('long answer please', 0, SEED, 3).length);
    await settled(el);
    expect(shadow(el).querySelector('.assistant')?.textContent).to.contain('Stopped.');
    expect(shadow(el).querySelector('[part="send-button"]')).to.exist;
  });

  it('a message the server refuses is marked failed with a Retry control', async () => {
    const s = await server(['--rate', 'max']);
    const el = await mount(s.wsUrl);
    el.send('hi', { temperature: 5 });
    await waitFor(() => el.messages[0]?.status === 'failed', 'the send to fail');
    await settled(el);
    expect(shadow(el).querySelector('.user')?.textContent).to.match(
      /Not sent: .*temperature must be from 0 to 2/,
    );
    const retry = shadow(el).querySelector<HTMLButtonElement>('[part="retry-button"]');
    expect(retry).to.exist;
    retry?.click();
    expect(el.messages[0]?.status).to.be.oneOf(['pending', 'sent']);
    await waitFor(() => el.messages[0]?.status === 'failed', 'the retried send to fail again');
    expect(el.messages.length).to.equal(1);
  });

  it('a message over the server limits is refused before it is sent', async () => {
    const s = await server(['--rate', 'max']);
    const el = await mount(s.wsUrl);
    await waitFor(() => shadow(el).querySelector('.status')?.textContent === '', 'connected');
    el.send('x'.repeat(8001));
    await waitFor(() => el.messages[0]?.status === 'failed', 'the send to fail');
    expect(el.messages[0]?.error).to.match(/8001 characters; the limit is 8000/);
    el.send('short');
    await answerDone(el);
    expect(el.messages.map((m) => [m.role, m.status])).to.deep.equal([
      ['user', 'failed'],
      ['user', 'done'],
      ['assistant', 'done'],
    ]);
  });
});
