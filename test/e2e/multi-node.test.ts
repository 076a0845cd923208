/**
 * Two server nodes share one Redis behind a round-robin balancer (every
 * connection goes to the other node). After every node restarts, a reload
 * shows the whole conversation. The built bundle, real dev server binaries,
 * a real redis-server.
 */
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import '../../dist/ai-stream-chat.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import {
  answerDone,
  EmbedFrame,
  type RunningDevServer,
  settled,
  shadow,
  startDevServer,
  stopDevServer,
  waitFor,
} from '../helpers/browser.js';

const SEED = 4;

describe('many nodes, one conversation (Redis)', () => {
  let redis: { pid: number; url: string } | undefined;
  let balancer: { port: number; wsUrl: string } | undefined;
  let nodes: RunningDevServer[] = [];
  const cleanup: (() => void)[] = [];

  afterEach(async () => {
    for (const c of cleanup.splice(0)) c();
    for (const n of nodes) await stopDevServer(n);
    nodes = [];
    if (balancer) await executeServerCommand('stop-balancer', { port: balancer.port });
    if (redis) await executeServerCommand('stop-redis', { pid: redis.pid });
  });

  it('after a restart of every node, a reload shows the full history', async () => {
    redis = await executeServerCommand<{ pid: number; url: string }, undefined>('start-redis');
    if (!redis) throw new Error('no redis');
    const args = ['--redis', redis.url, '--seed', String(SEED), '--rate', '400'];
    nodes = [await startDevServer(args), await startDevServer(args)];
    const ports = nodes.map((n) => Number(new URL(n.httpUrl).port));
    balancer = await executeServerCommand<{ port: number; wsUrl: string }, { ports: number[] }>(
      'start-balancer',
      { ports },
    );
    if (!balancer) throw new Error('no balancer');

    const embed = new EmbedFrame(balancer.wsUrl);
    cleanup.push(() => embed.remove());
    const el = await embed.open();
    el.send('first question');
    await answerDone(el, 1);
    // The reload reconnects through the balancer: the other node answers the second question.
    const again = await embed.open();
    await waitFor(() => again.messages.length === 2, 'the first exchange back');
    again.send('second question');
    await answerDone(again, 2);

    for (const n of nodes) await stopDevServer(n);
    nodes = [];
    nodes = [await startDevServer(args, ports[0]), await startDevServer(args, ports[1])];

    const after = await embed.open();
    await waitFor(() => after.messages.length === 4, 'the whole history');
    expect(after.messages.map((m) => [m.role, m.status, m.finishReason, m.text])).to.deep.equal([
      ['user', 'done', undefined, 'first question'],
      ['assistant', 'done', 'stop', mockAnswerFor('first question', 0, SEED, 1)],
      ['user', 'done', undefined, 'second question'],
      ['assistant', 'done', 'stop', mockAnswerFor('second question', 1, SEED, 1)],
    ]);
    await settled(after);
    // A reload shows the newest answer first and older ones in slices after it (long history).
    await waitFor(() => shadow(after).querySelectorAll('.assistant').length === 2, 'both answers shown');
    expect(shadow(after).querySelector('.notice')?.textContent ?? '').not.to.match(/no longer has/);
  });
});
