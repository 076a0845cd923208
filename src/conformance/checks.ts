/**
 * Checks that a server speaks PROTOCOL.md: the handshake, the answer stream,
 * exactly-once resume, cancel, and how it treats bad frames. Each check uses
 * its own connections and conversation, so one failure does not hide others.
 */
import { CloseCode, ErrorCode, PROTOCOL_VERSION, type ServerFrame } from '../protocol/index.js';
import { isType, Peer } from './peer.js';

export interface ConformanceOptions {
  /** WebSocket URL of the server, e.g. ws://127.0.0.1:8787/ws. */
  url: string;
  /** For servers that require a session: URL of its `POST /session` endpoint. */
  sessionUrl?: string;
  /** How long one wait may take. Default 15000 ms. */
  timeoutMs?: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

type Welcome = Extract<ServerFrame, { type: 'welcome' }>;

interface Context {
  /** Opens a connection for a new conversation (or `conversationId`'s, reusing its session token). */
  connect(conversationId?: string): Promise<Peer>;
  timeoutMs: number;
}

class CheckFailure extends Error {}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

async function hello(
  ctx: Context,
  extra: Record<string, unknown> = {},
): Promise<{ peer: Peer; welcome: Welcome }> {
  const conversationId = typeof extra.conversationId === 'string' ? extra.conversationId : undefined;
  const peer = await ctx.connect(conversationId);
  peer.send({ type: 'hello', v: PROTOCOL_VERSION, ...extra });
  const welcome = await peer.waitFor(isType('welcome'), { timeoutMs: ctx.timeoutMs });
  expect(peer.frames[0] === welcome, `the first frame must be welcome, got ${peer.frames[0]?.type}`);
  return { peer, welcome };
}

/** Sends a message and waits for its ack and the start of its answer. */
async function ask(ctx: Context, peer: Peer, clientMsgId: string, text: string) {
  const from = peer.frames.length;
  peer.send({ type: 'send', clientMsgId, text });
  const ack = await peer.waitFor(
    isType('ack', (a) => a.clientMsgId === clientMsgId),
    {
      from,
      timeoutMs: ctx.timeoutMs,
    },
  );
  const start = await peer.waitFor(
    isType('start', (s) => s.replyTo === ack.messageId),
    {
      from,
      timeoutMs: ctx.timeoutMs,
    },
  );
  return { ack, start };
}

/** The text of an answer from the frames, requiring gapless seqs; snapshots reset it. */
function assemble(
  frames: ServerFrame[],
  messageId: string,
  text = '',
  seq = 0,
): { text: string; seq: number } {
  for (const f of frames) {
    if (f.type === 'delta' && f.messageId === messageId) {
      const from = f.fromSeq ?? f.seq;
      expect(from <= f.seq, `delta fromSeq ${from} is after its seq ${f.seq}`);
      expect(from === seq + 1, `delta seq ${from} after ${seq}: deltas must be gapless and in order`);
      seq = f.seq;
      text += f.text;
    } else if (f.type === 'snapshot' && f.messageId === messageId) {
      expect(f.seq >= seq, `snapshot at seq ${f.seq} is behind ${seq}`);
      expect(f.text.startsWith(text), 'a snapshot must extend the text the client already holds');
      seq = f.seq;
      text = f.text;
    }
  }
  return { text, seq };
}

const checks: [string, (ctx: Context) => Promise<void>][] = [
  [
    'handshake: hello is answered by a valid welcome',
    async (ctx) => {
      const { peer, welcome } = await hello(ctx);
      expect(welcome.v === PROTOCOL_VERSION, `welcome.v is ${welcome.v}`);
      expect(welcome.heartbeatMs > 0, 'heartbeatMs must be positive');
      expect(welcome.history.length === 0, 'a new conversation has no history');
      peer.close();
    },
  ],
  [
    'handshake: frames before hello are refused with bad_state',
    async (ctx) => {
      const peer = await ctx.connect();
      peer.send({ type: 'send', clientMsgId: 'early', text: 'hi' });
      const error = await peer.waitFor(isType('error'), { timeoutMs: ctx.timeoutMs });
      expect(error.code === ErrorCode.BadState, `got ${error.code}`);
      expect(!peer.frames.some((f) => f.type === 'ack'), 'a send before hello must not be accepted');
      peer.close();
    },
  ],
  [
    'handshake: an unsupported version closes with a 4500+ code',
    async (ctx) => {
      const peer = await ctx.connect();
      peer.send({ type: 'hello', v: 999 });
      const code = await peer.waitForClose(ctx.timeoutMs);
      expect(
        code >= 4500 && code <= 4999,
        `closed with ${code}; expected ${CloseCode.ProtocolVersionUnsupported}`,
      );
    },
  ],
  [
    'bad frames get error frames and the connection stays usable',
    async (ctx) => {
      const { peer } = await hello(ctx);
      const cases: [string, string][] = [
        ['{oops', ErrorCode.BadJson],
        [JSON.stringify({ type: 'no-such-type' }), ErrorCode.UnknownType],
        [JSON.stringify({ type: 'send', clientMsgId: 'x', text: 7 }), ErrorCode.BadFrame],
        [JSON.stringify({ type: 'cancel' }), ErrorCode.BadFrame],
      ];
      for (const [raw, code] of cases) {
        const from = peer.frames.length;
        peer.sendRaw(raw);
        const error = await peer.waitFor(isType('error'), { from, timeoutMs: ctx.timeoutMs });
        expect(error.code === code, `${raw}: expected ${code}, got ${error.code}`);
      }
      const from = peer.frames.length;
      peer.send({ type: 'ping' });
      await peer.waitFor(isType('pong'), { from, timeoutMs: ctx.timeoutMs });
      peer.close();
    },
  ],
  [
    'stream: ack, start, gapless deltas from seq 1, done with the last seq',
    async (ctx) => {
      const { peer } = await hello(ctx);
      const { start } = await ask(ctx, peer, 'c1', 'Hello');
      const done = await peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        {
          timeoutMs: ctx.timeoutMs * 4,
        },
      );
      const { text, seq } = assemble(peer.frames, start.messageId);
      expect(done.seq === seq, `done.seq ${done.seq} but ${seq} deltas arrived`);
      expect(text.length > 0, 'the answer is empty');
      expect(['stop', 'length'].includes(done.finishReason), `finishReason ${done.finishReason}`);
      peer.close();
    },
  ],
  [
    'send is idempotent on clientMsgId',
    async (ctx) => {
      const { peer } = await hello(ctx);
      peer.send({ type: 'send', clientMsgId: 'same', text: 'once' });
      peer.send({ type: 'send', clientMsgId: 'same', text: 'once' });
      const first = await peer.waitFor(isType('ack'), { timeoutMs: ctx.timeoutMs });
      const second = await peer.waitFor(
        isType('ack', (a) => a !== first),
        { timeoutMs: ctx.timeoutMs },
      );
      expect(first.messageId === second.messageId, 'the retried send created a second message');
      await peer.waitFor(isType('done'), { timeoutMs: ctx.timeoutMs * 4 });
      expect(peer.frames.filter((f) => f.type === 'start').length === 1, 'one message must get one answer');
      peer.close();
    },
  ],
  [
    'resume: after a drop, exactly the missing text arrives, and it matches the history',
    async (ctx) => {
      const first = await hello(ctx);
      const { start } = await ask(ctx, first.peer, 'r1', 'Tell me something long');
      await first.peer.waitFor(
        isType('delta', (d) => d.messageId === start.messageId && d.seq >= 3),
        {
          timeoutMs: ctx.timeoutMs,
        },
      );
      first.peer.close();
      const held = assemble(
        first.peer.frames.filter((f) => f.type !== 'delta' || f.seq <= 3),
        start.messageId,
      );
      const second = await hello(ctx, {
        conversationId: first.welcome.conversationId,
        resume: [{ messageId: start.messageId, lastSeq: held.seq }],
      });
      expect(second.welcome.conversationId === first.welcome.conversationId, 'the conversation was not kept');
      const done = await second.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        {
          timeoutMs: ctx.timeoutMs * 4,
        },
      );
      const whole = assemble(second.peer.frames, start.messageId, held.text, held.seq);
      expect(whole.seq === done.seq, `resumed to seq ${whole.seq}, but done says ${done.seq}`);
      second.peer.close();
      const third = await hello(ctx, { conversationId: first.welcome.conversationId });
      const entry = third.welcome.history.find((m) => m.id === start.messageId);
      expect(entry?.text === whole.text, 'the resumed text differs from the text in the history');
      third.peer.close();
    },
  ],
  [
    'cancel: ends the answer as cancelled; repeating it is harmless',
    async (ctx) => {
      const { peer } = await hello(ctx);
      const { start } = await ask(ctx, peer, 'k1', 'Tell me something long');
      await peer.waitFor(
        isType('delta', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs },
      );
      const endedBefore = peer.frames.some((f) => f.type === 'done');
      peer.send({ type: 'cancel', messageId: start.messageId });
      const done = await peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        {
          timeoutMs: ctx.timeoutMs,
        },
      );
      expect(endedBefore || done.finishReason === 'cancelled', `finishReason ${done.finishReason}`);
      const from = peer.frames.length;
      peer.send({ type: 'cancel', messageId: start.messageId });
      peer.send({ type: 'ping' });
      await peer.waitFor(isType('pong'), { from, timeoutMs: ctx.timeoutMs });
      expect(
        !peer.frames.slice(from).some((f) => f.type === 'error'),
        'a repeated cancel must not be an error',
      );
      peer.close();
    },
  ],
  [
    'cancel of an unknown message is refused with unknown_message',
    async (ctx) => {
      const { peer } = await hello(ctx);
      peer.send({ type: 'cancel', messageId: 'm_does_not_exist' });
      const error = await peer.waitFor(isType('error'), { timeoutMs: ctx.timeoutMs });
      expect(error.code === ErrorCode.UnknownMessage, `got ${error.code}`);
      peer.close();
    },
  ],
];

/** Runs every check against the server; never throws for a failing check. */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const tokens = new Map<string, string>();
  const ctx: Context = {
    timeoutMs,
    async connect(conversationId) {
      if (!options.sessionUrl) return Peer.connect(options.url);
      let token = conversationId === undefined ? undefined : tokens.get(conversationId);
      if (token === undefined) {
        const response = await fetch(options.sessionUrl, { method: 'POST' });
        if (!response.ok) throw new CheckFailure(`POST ${options.sessionUrl} answered ${response.status}`);
        const session = (await response.json()) as { token: string; conversationId: string };
        token = session.token;
        tokens.set(session.conversationId, token);
      }
      const url = new URL(options.url);
      url.searchParams.set('token', token);
      return Peer.connect(url.href);
    },
  };
  const results: CheckResult[] = [];
  for (const [name, check] of checks) {
    try {
      await check(ctx);
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}
