/**
 * A node's Redis connections do not grow with the answers it follows: many
 * answers are generated on node A while node B relays every one of them to
 * a client of its own, and B holds the same two connections throughout
 * (CLIENT LIST, by the connection name each node sets). Every answer
 * reaches B's client exactly: no delta twice, none missing, no snapshot.
 *
 * FOLLOWED_ANSWERS sets how many. Issue 18 asks for 2,000: that run passes
 * (B: 2 connections in every one of 155 samples) but takes about 160 s on
 * the 2-core test machine, so the suite runs 500 (about 100 s);
 * `FOLLOWED_ANSWERS=2000` runs the full one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type RedisProcess, startRedisProcess } from '../../scripts/redis-process.mjs';
import { isType, type Peer } from '../../src/conformance/peer.js';
import { mockAnswerFor } from '../../src/dev-server/sources/mock-answer.js';
import { answerText, type Welcome } from '../helpers/frames.js';
import { welcomed } from '../helpers/kit.js';
import { type ServerNode, startNode, stopAll } from '../helpers/server-nodes.js';

const ANSWERS = Number(process.env.FOLLOWED_ANSWERS ?? 500);
const SEED = 11;
/** Opened this many at a time. */
const BATCH = 100;
/** Slow enough that every answer still streams once the last follower is in place. */
const TOKENS_PER_SECOND = 4;

/** The connections each node holds, by the name it gives them (`ai-stream-chat:<host>/<pid>/…`). */
async function connectionsByPid(redis: Redis): Promise<Map<number, number>> {
  const list = (await redis.client('LIST')) as string;
  const counts = new Map<number, number>();
  for (const line of list.split('\n')) {
    const pid = /\bname=ai-stream-chat:[^ ]*?\/(\d+)\//.exec(line)?.[1];
    if (pid) counts.set(Number(pid), (counts.get(Number(pid)) ?? 0) + 1);
  }
  return counts;
}

interface Followed {
  question: string;
  follower: Peer;
  messageId: string;
}

describe('a node following many answers holds a fixed number of Redis connections', () => {
  let redis: RedisProcess;
  let a: ServerNode;
  let b: ServerNode;
  before(async () => {
    redis = await startRedisProcess();
    const args = [
      ...['--redis', redis.url, '--rate', String(TOKENS_PER_SECOND), '--seed', String(SEED)],
      ...['--max-connections-per-ip', '100000', '--max-new-conversations-per-ip', '1000000'],
      ...['--heartbeat-ms', '600000', '--log-level', 'warn'],
    ];
    [a, b] = await Promise.all([startNode(args), startNode(args)]);
  });
  after(async () => {
    await stopAll();
    await redis.close();
  });

  it(`${ANSWERS} answers generated on A, followed on B: B's connections stay at 2, every answer exact`, async () => {
    const admin = new Redis(redis.url);
    const samples: number[] = [];
    const sample = async (): Promise<void> => {
      const counts = await connectionsByPid(admin);
      samples.push(counts.get(b.pid) ?? 0);
    };
    const followed: Followed[] = [];
    try {
      // A node that has just started may still be opening (and naming) its two connections: wait until they show.
      const deadline = Date.now() + 10_000;
      while (((await connectionsByPid(admin)).get(b.pid) ?? 0) < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await sample();
      for (let i = 0; i < ANSWERS; i += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, ANSWERS - i) }, (_, j) => i + j);
        followed.push(
          ...(await Promise.all(
            batch.map(async (n): Promise<Followed> => {
              const question = `question ${n}`;
              const asker = await welcomed(a.wsUrl);
              const { conversationId } = asker.frames[0] as Welcome;
              asker.send({ type: 'send', clientMsgId: 'q', text: question });
              const start = await asker.waitFor(isType('start'), { timeoutMs: 60_000 });
              asker.close(); // A generates on; only B's client watches
              const follower = await welcomed(b.wsUrl, { hello: { conversationId } });
              return { question, follower, messageId: start.messageId };
            }),
          )),
        );
        await sample();
      }
      // Every answer is followed by B now; sample while they stream.
      const sampler = setInterval(() => void sample(), 500);
      try {
        await Promise.all(
          followed.map(({ follower, messageId }) =>
            follower.waitFor(
              isType('done', (d) => d.messageId === messageId),
              { timeoutMs: 600_000 },
            ),
          ),
        );
      } finally {
        clearInterval(sampler);
      }
      await sample();

      let live = 0;
      for (const { question, follower, messageId } of followed) {
        const applied = answerText(follower.frames, messageId, { strict: true });
        assert.equal(applied.text, mockAnswerFor(question, 0, SEED, 1), `${question}: exact`);
        assert.equal(applied.snapshots, 0, `${question}: relayed delta by delta`);
        const done = follower.frames.find((f) => f.type === 'done' && f.messageId === messageId);
        assert.ok(done?.type === 'done' && done.finishReason === 'stop' && done.seq === applied.seq);
        if (applied.deltaSeqs.length > 0) live++;
      }
      assert.equal(live, ANSWERS, 'B relayed live deltas of every answer');
      assert.ok(samples.length >= 3);
      assert.deepEqual(
        [...new Set(samples)],
        [2],
        `B's Redis connections over the run: ${samples.join(' ')}`,
      );
      process.stdout.write(
        `# ${ANSWERS} answers followed on B; B's Redis connections in ${samples.length} samples: ${[...new Set(samples)].join(', ')}\n`,
      );
    } finally {
      for (const { follower } of followed) follower.close();
      admin.disconnect();
    }
  });
});
