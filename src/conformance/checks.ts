/**
 * Checks that a server speaks PROTOCOL.md: the handshake, the answer stream,
 * exactly-once resume, cancel, and how it treats bad frames. Each check uses
 * its own connections and conversation, so one failure does not hide others.
 */
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  type ServerFrame,
  type SourceRef,
  type ToolStep,
} from '../protocol/index.js';
import { isType, Peer } from './peer.js';

export interface ConformanceOptions {
  /** WebSocket URL of the server, e.g. ws://127.0.0.1:8787/ws. */
  url: string;
  /** For servers that require a session: URL of its `POST /session` endpoint. */
  sessionUrl?: string;
  /** How long one wait may take. Default 15000 ms. */
  timeoutMs?: number;
  /**
   * The server's answers carry reasoning, tool steps and sources (the dev
   * server with `--mock-parts`): the parts checks then require them, instead
   * of checking only that a server without them keeps version-1 clients whole.
   */
  parts?: boolean;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

type Welcome = Extract<ServerFrame, { type: 'welcome' }>;

interface Context {
  /** The server is expected to send parts (ConformanceOptions.parts). */
  parts: boolean;
  /** Opens a connection for a new conversation (or `conversationId`'s, reusing its session token). */
  connect(conversationId?: string): Promise<Peer>;
  timeoutMs: number;
  /** Every peer the checks opened so far. */
  peers: Peer[];
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

/** An answer with every part, as a client that asked for parts holds it. */
interface Assembled {
  text: string;
  seq: number;
  reasoning: string;
  tools: ToolStep[];
  sources: SourceRef[];
}

const emptyAnswer = (): Assembled => ({ text: '', seq: 0, reasoning: '', tools: [], sources: [] });

/** Every part of an answer from the frames (PROTOCOL.md section 16), requiring gapless seqs; snapshots replace all. */
function assembleParts(frames: ServerFrame[], messageId: string, held = emptyAnswer()): Assembled {
  const a: Assembled = { ...held, tools: [...held.tools], sources: [...held.sources] };
  for (const f of frames) {
    if (f.type === 'delta' && f.messageId === messageId) {
      const from = f.fromSeq ?? f.seq;
      expect(from === a.seq + 1, `delta seq ${from} after ${a.seq}: one sequence for every part, gapless`);
      a.seq = f.seq;
      a.text += f.text;
      a.reasoning += f.reasoning ?? '';
      if (f.tool) {
        const at = a.tools.findIndex((t) => t.id === f.tool?.id);
        if (at < 0) a.tools.push(f.tool);
        else a.tools[at] = f.tool;
      }
      if (f.source) {
        expect(
          f.source.n === a.sources.length + 1,
          `source numbered ${f.source.n} after ${a.sources.length}`,
        );
        a.sources.push(f.source);
      }
    } else if (f.type === 'snapshot' && f.messageId === messageId) {
      Object.assign(a, {
        seq: f.seq,
        text: f.text,
        reasoning: f.reasoning ?? '',
        tools: f.tools ?? [],
        sources: f.sources ?? [],
      });
    }
  }
  return a;
}

/** The parts of a snapshot or history entry, as `assembleParts` holds them (text aside). */
function partsIn(m: { reasoning?: string; tools?: ToolStep[]; sources?: SourceRef[] }) {
  return JSON.stringify([m.reasoning ?? '', m.tools ?? [], m.sources ?? []]);
}

const hasParts = (f: ServerFrame): boolean =>
  (f.type === 'delta' && (f.reasoning !== undefined || f.tool !== undefined || f.source !== undefined)) ||
  (f.type === 'snapshot' &&
    (f.reasoning !== undefined || f.tools !== undefined || f.sources !== undefined)) ||
  (f.type === 'welcome' &&
    f.history.some((m) => m.reasoning !== undefined || m.tools !== undefined || m.sources !== undefined));

const checks: [string, (ctx: Context) => Promise<void>][] = [
  [
    '§5 handshake: hello is answered by a valid welcome',
    async (ctx) => {
      const { peer, welcome } = await hello(ctx);
      expect(welcome.v === PROTOCOL_VERSION, `welcome.v is ${welcome.v}`);
      expect(welcome.heartbeatMs > 0, 'heartbeatMs must be positive');
      expect(welcome.history.length === 0, 'a new conversation has no history');
      peer.close();
    },
  ],
  [
    '§5.1 handshake: frames before hello are refused with bad_state',
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
    '§2 handshake: an unsupported version closes with a 4500+ code',
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
    '§7 bad frames get error frames and the connection stays usable',
    async (ctx) => {
      const { peer } = await hello(ctx);
      const cases: [string, string][] = [
        ['{oops', ErrorCode.BadJson],
        [JSON.stringify({ type: 'no-such-type' }), ErrorCode.UnknownType],
        [JSON.stringify({ type: 'send', clientMsgId: 'x', text: 7 }), ErrorCode.BadFrame],
        [JSON.stringify({ type: 'cancel' }), ErrorCode.BadFrame],
        ['[1,2]', ErrorCode.BadFrame],
        ['"send"', ErrorCode.BadFrame],
        [
          JSON.stringify({ type: 'send', clientMsgId: 'x', text: 'hi', params: { temperature: 'warm' } }),
          ErrorCode.BadFrame,
        ],
        [
          JSON.stringify({ type: 'send', clientMsgId: 'x', text: 'hi', params: { temperature: 1e9 } }),
          ErrorCode.BadParams,
        ],
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
    '§3 §6 stream: ack, start, gapless deltas from seq 1, done with the last seq',
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
    '§6 send is idempotent on clientMsgId',
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
    '§5.4 resume: after a drop, exactly the missing text arrives, and it matches the history',
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
    '§4.1 cancel: ends the answer as cancelled; repeating it is harmless',
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
    '§7 cancel of an unknown message is refused with unknown_message',
    async (ctx) => {
      const { peer } = await hello(ctx);
      peer.send({ type: 'cancel', messageId: 'm_does_not_exist' });
      const error = await peer.waitFor(isType('error'), { timeoutMs: ctx.timeoutMs });
      expect(error.code === ErrorCode.UnknownMessage, `got ${error.code}`);
      peer.close();
    },
  ],
  [
    '§5.1 handshake: ping before hello is answered with pong, not bad_state',
    async (ctx) => {
      const peer = await ctx.connect();
      peer.send({ type: 'ping' });
      await peer.waitFor(isType('pong'), { timeoutMs: ctx.timeoutMs });
      expect(!peer.frames.some((f) => f.type === 'error'), 'ping before hello got an error');
      peer.send({ type: 'hello', v: PROTOCOL_VERSION });
      await peer.waitFor(isType('welcome'), { timeoutMs: ctx.timeoutMs });
      peer.close();
    },
  ],
  [
    '§5.1 handshake: a hello without v gets bad_frame, and a valid hello after it is welcomed',
    async (ctx) => {
      const peer = await ctx.connect();
      peer.send({ type: 'hello' });
      const error = await peer.waitFor(isType('error'), { timeoutMs: ctx.timeoutMs });
      expect(error.code === ErrorCode.BadFrame, `got ${error.code}`);
      peer.send({ type: 'hello', v: PROTOCOL_VERSION });
      await peer.waitFor(isType('welcome'), { timeoutMs: ctx.timeoutMs });
      peer.close();
    },
  ],
  [
    '§3 §4.1 maxTextLength counts code points: an emoji is one character',
    async (ctx) => {
      const { peer, welcome } = await hello(ctx);
      const max = welcome.limits.maxTextLength;
      const emoji = Math.min(100, max);
      // `max` code points, but `max + emoji` UTF-16 units: a server counting units refuses it.
      const fits = 'a'.repeat(max - emoji) + '😀'.repeat(emoji);
      peer.send({ type: 'send', clientMsgId: 'len-fits', text: fits });
      const reply = await peer.waitFor(
        (f): f is Extract<ServerFrame, { type: 'ack' | 'error' }> =>
          (f.type === 'ack' || f.type === 'error') && f.clientMsgId === 'len-fits',
        { timeoutMs: ctx.timeoutMs },
      );
      expect(
        reply.type === 'ack',
        `${max} code points were refused: ${reply.type === 'error' ? reply.code : ''}`,
      );
      peer.send({ type: 'send', clientMsgId: 'len-over', text: `${fits}a` });
      const over = await peer.waitFor(
        isType('error', (e) => e.clientMsgId === 'len-over'),
        { timeoutMs: ctx.timeoutMs },
      );
      expect(over.code === ErrorCode.TextTooLong, `${max + 1} code points got ${over.code}`);
      peer.close();
    },
  ],
  [
    '§7 rate_limited: one error per excess, then silence until a frame is admitted; after retryAfterMs frames are served again',
    async (ctx) => {
      const { peer } = await hello(ctx);
      const flood = 200;
      for (let i = 0; i < flood; i++) peer.send({ type: 'ping' });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const limited = peer.frames.filter((f) => f.type === 'error' && f.code === ErrorCode.RateLimited);
      const pongs = peer.frames.filter((f) => f.type === 'pong').length;
      if (limited.length === 0) {
        // No limit at this rate: every frame must have been served.
        expect(pongs === flood, `no rate_limited, but ${pongs} of ${flood} pings answered`);
        peer.close();
        return;
      }
      // One error per excess: a second one only after a frame was admitted again (a pong between them).
      let admittedSinceError = true;
      for (const f of peer.frames) {
        if (f.type === 'pong') admittedSinceError = true;
        if (f.type !== 'error' || f.code !== ErrorCode.RateLimited) continue;
        expect(admittedSinceError, 'two rate_limited errors with no frame admitted between them');
        admittedSinceError = false;
      }
      expect(pongs < flood, 'rate_limited, yet every ping was answered');
      const retryAfterMs = (limited.at(-1) as Extract<ServerFrame, { type: 'error' }>).retryAfterMs;
      expect(retryAfterMs !== undefined, 'rate_limited without retryAfterMs');
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 100));
      const from = peer.frames.length;
      peer.send({ type: 'ping' });
      await peer.waitFor(isType('pong'), { from, timeoutMs: ctx.timeoutMs });
      peer.close();
    },
  ],
  [
    '§5.3 a fresh client joins a streaming answer: history text up to seq, in active, live deltas from seq + 1',
    async (ctx) => {
      const first = await hello(ctx);
      const { start } = await ask(ctx, first.peer, 'j1', 'Tell me something long');
      await first.peer.waitFor(
        isType('delta', (d) => d.messageId === start.messageId && d.seq >= 2),
        { timeoutMs: ctx.timeoutMs },
      );
      const second = await hello(ctx, { conversationId: first.welcome.conversationId });
      const entry = second.welcome.history.find((m) => m.id === start.messageId);
      expect(
        entry?.text !== undefined && entry.seq !== undefined,
        'the answer is in the history with text and seq',
      );
      const done = await second.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      if (!entry.finishReason) {
        expect(second.welcome.active.includes(start.messageId), 'an unfinished answer must be in active');
      }
      await first.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        {
          timeoutMs: ctx.timeoutMs * 4,
        },
      );
      const joined = assemble(second.peer.frames, start.messageId, entry.text, entry.seq);
      const whole = assemble(first.peer.frames, start.messageId);
      expect(
        joined.seq === done.seq && joined.text === whole.text,
        'history plus live deltas differ from the answer',
      );
      first.peer.close();
      second.peer.close();
    },
  ],
  [
    "§5.4 resume: a lastSeq beyond the server's gets a snapshot at the server's seq, then done",
    async (ctx) => {
      const first = await hello(ctx);
      const { start } = await ask(ctx, first.peer, 'b1', 'Hello');
      const done = await first.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      const text = assemble(first.peer.frames, start.messageId).text;
      first.peer.close();
      const lastSeq = done.seq + 1000;
      const second = await hello(ctx, {
        conversationId: first.welcome.conversationId,
        resume: [
          { messageId: start.messageId, lastSeq },
          { messageId: start.messageId, lastSeq },
        ],
      });
      const entry = second.welcome.history.find((m) => m.id === start.messageId);
      expect(entry?.seq === done.seq, `history says seq ${entry?.seq}, the answer ended at ${done.seq}`);
      const again = await second.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs },
      );
      const snapshot = second.peer.frames.find(
        (f) => f.type === 'snapshot' && f.messageId === start.messageId,
      );
      expect(snapshot?.type === 'snapshot', 'no snapshot for a client ahead of the server');
      expect(
        snapshot.seq === done.seq && snapshot.text === text,
        "the snapshot is not the server's text at its seq",
      );
      expect(again.seq === done.seq, `done again at ${again.seq}`);
      second.peer.send({ type: 'ping' });
      await second.peer.waitFor(isType('pong'), { timeoutMs: ctx.timeoutMs });
      const replays = second.peer.frames.filter(
        (f) => (f.type === 'snapshot' || f.type === 'done') && f.messageId === start.messageId,
      );
      expect(
        replays.length === 2,
        `a message named twice in resume was replayed ${replays.length / 2} times`,
      );
      second.peer.close();
    },
  ],
  [
    '§12 several tabs: a user message reaches every socket on the conversation before its answer starts',
    async (ctx) => {
      const a = await hello(ctx);
      const b = await hello(ctx, { conversationId: a.welcome.conversationId });
      a.peer.send({ type: 'send', clientMsgId: 't1', text: 'from tab a' });
      const user = await b.peer.waitFor(
        isType('user', (u) => u.clientMsgId === 't1'),
        { timeoutMs: ctx.timeoutMs },
      );
      expect(user.text === 'from tab a', 'the user frame carries the text');
      const start = await b.peer.waitFor(
        isType('start', (s) => s.replyTo === user.messageId),
        { timeoutMs: ctx.timeoutMs },
      );
      expect(b.peer.frames.indexOf(user) < b.peer.frames.indexOf(start), 'the user frame comes before start');
      const ack = await a.peer.waitFor(
        isType('ack', (x) => x.clientMsgId === 't1'),
        { timeoutMs: ctx.timeoutMs },
      );
      expect(ack.messageId === user.messageId, 'ack and user frame name different messages');
      b.peer.send({ type: 'cancel', messageId: start.messageId });
      await a.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs },
      );
      a.peer.close();
      b.peer.close();
    },
  ],
  [
    "§12 cancel by the user message's id: a queued one gets an answer that starts and ends at once; a current one stops",
    async (ctx) => {
      const { peer } = await hello(ctx);
      const { start } = await ask(ctx, peer, 'w1', 'Tell me something long');
      const from = peer.frames.length;
      peer.send({ type: 'send', clientMsgId: 'w2', text: 'and then?' });
      const ack = await peer.waitFor(
        isType('ack', (x) => x.clientMsgId === 'w2'),
        { from, timeoutMs: ctx.timeoutMs },
      );
      peer.send({ type: 'cancel', messageId: ack.messageId });
      const second = await peer.waitFor(
        isType('start', (s) => s.replyTo === ack.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      const done = await peer.waitFor(
        isType('done', (d) => d.messageId === second.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      expect(done.finishReason === 'cancelled', `the cancelled message's answer ended ${done.finishReason}`);
      if ((ack.queuePosition ?? 0) > 0) {
        // Queue policy: it never reached the model, and the answer before it goes on.
        expect(done.seq === 0, `a queued message's answer carries ${done.seq} deltas`);
        const firstEnded = peer.frames.findIndex((f) => f.type === 'done' && f.messageId === start.messageId);
        expect(
          firstEnded < 0 || firstEnded > peer.frames.indexOf(done),
          'the queued answer ended only after the one before it',
        );
      }
      peer.close();
    },
  ],
  [
    '§14 compact deltas: only a client that asks gets them, and they assemble to the same answer',
    async (ctx) => {
      const plain = await hello(ctx);
      const { start: plainStart } = await ask(ctx, plain.peer, 'p1', 'Hello');
      await plain.peer.waitFor(
        isType('done', (d) => d.messageId === plainStart.messageId),
        {
          timeoutMs: ctx.timeoutMs * 4,
        },
      );
      expect(plain.peer.compactFrames === 0, 'a client that did not ask got compact deltas');
      expect(plain.welcome.compact === undefined, 'a welcome to a client that did not ask says compact');
      const compact = await hello(ctx, { compact: true });
      const { start } = await ask(ctx, compact.peer, 'c1', 'Hello');
      const done = await compact.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        {
          timeoutMs: ctx.timeoutMs * 4,
        },
      );
      // Frames arrive expanded (the Peer reads compact deltas as the protocol says): gapless to done.
      const whole = assemble(compact.peer.frames, start.messageId);
      expect(whole.seq === done.seq, `compact deltas assemble to seq ${whole.seq}, done says ${done.seq}`);
      if (compact.welcome.compact === true && done.seq > 1) {
        expect(compact.peer.compactFrames > 0, 'welcome.compact, but no compact delta came');
      } else {
        expect(compact.peer.compactFrames === 0, 'compact deltas without welcome.compact');
      }
      plain.peer.close();
      compact.peer.close();
    },
  ],
  [
    '§15 feedback: a verdict on an ended answer is echoed, kept in the history, and refused elsewhere',
    async (ctx) => {
      const { peer, welcome } = await hello(ctx);
      const { ack, start } = await ask(ctx, peer, 'f1', 'Hello');
      await peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      const verdict = async (value: 'up' | 'down' | null): Promise<void> => {
        const from = peer.frames.length;
        peer.send({ type: 'feedback', messageId: start.messageId, value });
        const echo = await peer.waitFor(
          isType('feedback', (f) => f.messageId === start.messageId),
          { from, timeoutMs: ctx.timeoutMs },
        );
        expect(echo.value === value, `feedback ${value} came back as ${echo.value}`);
      };
      const historyEntry = async () => {
        const again = await hello(ctx, { conversationId: welcome.conversationId });
        again.peer.close();
        return again.welcome.history.find((m) => m.id === start.messageId);
      };
      await verdict('down');
      const kept = await historyEntry();
      expect(kept?.feedback === 'down', `the history says ${kept?.feedback} after a down`);
      for (const [frame, code] of [
        [{ messageId: ack.messageId, value: 'up' }, ErrorCode.UnknownMessage],
        [{ messageId: 'no-such-message', value: 'up' }, ErrorCode.UnknownMessage],
        [{ messageId: start.messageId, value: 'sideways' }, ErrorCode.BadFrame],
      ] as const) {
        const from = peer.frames.length;
        peer.send({ type: 'feedback', ...frame });
        const error = await peer.waitFor(isType('error'), { from, timeoutMs: ctx.timeoutMs });
        expect(error.code === code, `feedback ${JSON.stringify(frame)}: expected ${code}, got ${error.code}`);
      }
      await verdict(null);
      const cleared = await historyEntry();
      expect(
        cleared !== undefined && cleared.feedback === undefined,
        'a verdict taken back stays in the history',
      );
      peer.close();
    },
  ],
  [
    '§16 parts: a version-1 client and a parts client share one sequence; the version-1 text holds no reasoning',
    async (ctx) => {
      const withParts = await hello(ctx, { parts: true });
      const conversationId = withParts.welcome.conversationId;
      const v1 = await hello(ctx, { conversationId });
      const { start } = await ask(ctx, withParts.peer, 'parts-1', 'Hello');
      const ended = (peer: typeof v1.peer) =>
        peer.waitFor(
          isType('done', (d) => d.messageId === start.messageId),
          { timeoutMs: ctx.timeoutMs * 4 },
        );
      const [done, v1Done] = await Promise.all([ended(withParts.peer), ended(v1.peer)]);
      const whole = assembleParts(withParts.peer.frames, start.messageId);
      const plain = assemble(v1.peer.frames, start.messageId);
      expect(whole.seq === done.seq, `the parts client assembled seq ${whole.seq}, done says ${done.seq}`);
      expect(plain.seq === v1Done.seq && v1Done.seq === done.seq, 'both clients must count the same deltas');
      expect(plain.text === whole.text, 'the version-1 client got other text than the answer text');
      expect(!v1.peer.frames.some(hasParts), 'a client that did not ask for parts got parts');
      expect(v1.welcome.parts === undefined, 'a welcome to a client that did not ask says parts');
      if (ctx.parts) {
        expect(withParts.welcome.parts === true, 'the welcome to a client that asked does not say parts');
        expect(whole.reasoning.length > 0, 'no reasoning arrived');
        expect(whole.tools.length > 0 && whole.sources.length > 0, 'no tool step or no source arrived');
        expect(!plain.text.includes(whole.reasoning.slice(0, 40)), 'the reasoning is in the version-1 text');
      }
      withParts.peer.close();
      v1.peer.close();
    },
  ],
  [
    '§16 parts: a resume in the middle of the reasoning brings every part exactly once; a snapshot and the history carry every part',
    async (ctx) => {
      const first = await hello(ctx, { parts: true });
      const conversationId = first.welcome.conversationId;
      const { start } = await ask(ctx, first.peer, 'parts-r1', 'Tell me something long');
      await first.peer.waitFor(
        isType('delta', (d) => d.messageId === start.messageId && d.seq >= 2),
        { timeoutMs: ctx.timeoutMs },
      );
      first.peer.close();
      const before = first.peer.frames.filter((f) => f.type !== 'delta' || f.seq <= 2);
      const held = assembleParts(before, start.messageId);
      if (ctx.parts) expect(held.reasoning.length > 0, 'the answer did not begin with its reasoning');
      const second = await hello(ctx, {
        conversationId,
        parts: true,
        resume: [{ messageId: start.messageId, lastSeq: held.seq }],
      });
      const done = await second.peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      const whole = assembleParts(second.peer.frames, start.messageId, held);
      expect(whole.seq === done.seq, `resumed to seq ${whole.seq}, but done says ${done.seq}`);
      second.peer.close();
      // A fresh page: the history entry carries the text and every part.
      const fresh = await hello(ctx, { conversationId, parts: true });
      const entry = fresh.welcome.history.find((m) => m.id === start.messageId);
      expect(entry?.text === whole.text, 'the history text differs from the resumed text');
      expect(entry && partsIn(entry) === partsIn(whole), 'the history parts differ from the resumed parts');
      fresh.peer.close();
      // A stale client, ahead of the server: one snapshot with every part.
      const stale = await hello(ctx, {
        conversationId,
        parts: true,
        resume: [{ messageId: start.messageId, lastSeq: done.seq + 1000 }],
      });
      const snapshot = await stale.peer.waitFor(
        isType('snapshot', (f) => f.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs },
      );
      expect(
        snapshot.seq === done.seq && snapshot.text === whole.text,
        'the snapshot is not the whole answer',
      );
      expect(partsIn(snapshot) === partsIn(whole), 'the snapshot does not carry every part');
      stale.peer.close();
    },
  ],
  [
    '§17 history pages: only a client that asks is offered them; a page holds the messages before the one named',
    async (ctx) => {
      const plain = await hello(ctx);
      expect(
        plain.welcome.historyPages === undefined,
        'a welcome to a client that did not ask says historyPages',
      );
      plain.peer.close();
      const { peer, welcome } = await hello(ctx, { historyPages: true });
      // Optional: a server that does not offer pages passes by not offering them.
      if (welcome.historyPages !== true) {
        peer.close();
        return;
      }
      const { ack, start } = await ask(ctx, peer, 'h1', 'Hello');
      await peer.waitFor(
        isType('done', (d) => d.messageId === start.messageId),
        { timeoutMs: ctx.timeoutMs * 4 },
      );
      const page = async (before: string) => {
        const from = peer.frames.length;
        peer.send({ type: 'history', before, limit: 10 });
        return peer.waitFor(
          isType('history', (h) => h.before === before),
          { from, timeoutMs: ctx.timeoutMs },
        );
      };
      const beforeAnswer = await page(start.messageId);
      expect(
        beforeAnswer.messages.length === 1 && beforeAnswer.messages[0]?.id === ack.messageId,
        `the page before the answer holds ${JSON.stringify(beforeAnswer.messages.map((m) => m.id))}, not the question ${ack.messageId}`,
      );
      expect(beforeAnswer.messages[0]?.text === 'Hello', 'a page carries the text of its messages');
      expect(beforeAnswer.more === false, 'more is true before the first message');
      const beforeFirst = await page(ack.messageId);
      expect(beforeFirst.messages.length === 0, 'a page before the first message is not empty');
      expect(beforeFirst.more === false, 'more is true before the first message');
      const from = peer.frames.length;
      peer.send({ type: 'history', before: 'no-such-message' });
      const error = await peer.waitFor(isType('error'), { from, timeoutMs: ctx.timeoutMs });
      expect(error.code === ErrorCode.UnknownMessage, `a page before an unknown message got ${error.code}`);
      expect(error.messageId === 'no-such-message', 'the error names the unknown message');
      peer.close();
    },
  ],
  [
    '§3 whole characters: no delta, snapshot or user text in any check split a character',
    async (ctx) => {
      // Each Peer records such a frame as a violation (failing the check it came in); this sums them.
      const split = ctx.peers.flatMap((p) => p.violations.filter((v) => v.includes('splits a character')));
      expect(ctx.peers.length > 0, 'no check received frames');
      expect(split.length === 0, `${split.length} frames split a character: ${split[0]}`);
    },
  ],
];

/** Runs every check against the server; never throws for a failing check. */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const tokens = new Map<string, string>();
  const peers: Peer[] = [];
  const track = (peer: Peer): Peer => {
    peers.push(peer);
    return peer;
  };
  const ctx: Context = {
    timeoutMs,
    parts: options.parts === true,
    peers,
    async connect(conversationId) {
      if (!options.sessionUrl) return track(await Peer.connect(options.url));
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
      return track(await Peer.connect(url.href));
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
