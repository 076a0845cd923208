import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Cluster } from 'ioredis';
import type { FeedbackValue, FinishReason, MessageParams, Usage } from '../../../protocol/index.js';
import { newId } from '../../conversation/ids.js';
import type { MessageRecord } from '../../conversation/message-frames.js';
import { applyDelta, carriesPart, type DeltaBody } from '../../conversation/message-parts.js';
import { SERVER_DEFAULTS } from '../../defaults.js';
import { option, positiveInteger } from '../../options/check.js';
import { DeltaBatch, type DeltaWrite } from './delta-batch.js';
import { LeaseRenewals } from './lease-renewals.js';
import {
  checkRedisTarget,
  commandConnections,
  connectRedis,
  corked,
  publishOn,
  type RedisClient,
} from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';

export interface QueuedTurnRecord {
  userId: string;
  params: MessageParams;
}

/** One entry of an answer's stream: a delta, or the end. */
export type StreamEntry =
  | { kind: 'delta'; seq: number; body: DeltaBody; id: string }
  | { kind: 'done'; seq: number; finishReason: FinishReason; usage: Usage | null; id: string };

export type ConversationEvent =
  | { t: 'start'; id: string; replyTo: string; node: string }
  /** Published by the script that stores the message, so every node sees it before its answer's start. */
  | { t: 'user'; id: string; clientMsgId: string; text: string; queueLength: number }
  | { t: 'cancel'; id: string }
  /** A reader's verdict on an ended answer changed (`value` '' took it back); published by the script that stores it. */
  | { t: 'feedback'; id: string; value: FeedbackValue | ''; node: string };

/**
 * What the node generating an answer publishes on the conversation's delta
 * channel, for the nodes following it: each delta as it is appended, once
 * a node has said it follows the answer (`s` its seq, `x` its text), and
 * that the answer's end was written. Pub/sub
 * may lose them (a reconnect); the stream stays the truth, and followers
 * read it on a gap or a silence.
 */
/** A delta as followers hear of it: its answer text `x`, and its other part `p` (PROTOCOL.md section 16). */
export type DeltaEvent =
  | { t: 'd'; id: string; s: number; x: string; p?: Omit<DeltaBody, 'text'> }
  | { t: 'e'; id: string };

/** A follow notice: a node follows answer `id` (it relays it to its clients). */
export interface FollowNotice {
  id: string;
}

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…` for TLS. Not with `cluster`. */
  url?: string;
  /**
   * Redis Cluster: seed nodes as `host:port` (any few of its nodes; the
   * rest are discovered). Every key of a conversation shares one hash slot,
   * so its scripts run on one shard. Not with `url`.
   */
  cluster?: readonly string[];
  /** Prefix of every key. Default `aisc`. */
  keyPrefix?: string;
  /**
   * How long Redis may be unreachable (stalled, restarting, cut off) before
   * answers being generated give up: a shorter outage loses nothing, as
   * commands wait for it and the generation leases outlast it; a longer one
   * ends them `interrupted`, text kept. Also how long a killed node's answers
   * take to be ended by another node. Default 10000.
   */
  graceMs?: number;
  /** How long a generating node's lease lasts without renewal. Default `graceMs` + 2000. */
  leaseMs?: number;
  /** A conversation is deleted this long after its last message. Default 7 days. */
  historyTtlMs?: number;
  /** An answer's delta stream is deleted this long after the answer ends. Default 300000. */
  replayRetentionMs?: number;
  /** Messages kept per conversation; older settled ones are deleted. Default 200. */
  maxHistoryMessages?: number;
}

/** How often `health` pings Redis, and how long without a reply makes it unhealthy. */
const PROBE_EVERY_MS = 1000;
const PROBE_STALE_MS = 2500;

/** The hash field of `msgs` counting messages trimmed from the front of `order` (never a message id). */
const TRIMMED_FIELD = '#trimmed';

/**
 * Lua: drops the oldest messages past \`max\` (order, msgs, cmid), as far as
 * they are settled: an ended answer, or a user message not waiting in the
 * queue. Counts them in msgs' TRIMMED_FIELD.
 */
const TRIM = `
local function trim(order, msgs, cmid, queue, max)
  local excess = redis.call('LLEN', order) - max
  local dropped = 0
  while excess > 0 do
    local id = redis.call('LINDEX', order, 0)
    local json = redis.call('HGET', msgs, id)
    if json then
      local m = cjson.decode(json)
      if m['role'] == 'assistant' and type(m['finishReason']) ~= 'string' then break end
      if m['role'] == 'user' then
        for _, t in ipairs(redis.call('LRANGE', queue, 0, -1)) do
          if cjson.decode(t)['userId'] == id then return dropped end
        end
        if type(m['clientMsgId']) == 'string' then redis.call('HDEL', cmid, m['clientMsgId']) end
      end
    end
    redis.call('LPOP', order)
    redis.call('HDEL', msgs, id)
    redis.call('HINCRBY', msgs, '${TRIMMED_FIELD}', 1)
    dropped = dropped + 1
    excess = excess - 1
  end
  return dropped
end
`;

const SCRIPTS = {
  /**
   * KEYS meta order msgs cmid queue lease; ARGV clientMsgId id json ttl turn interrupt maxMessages channel text maxQueued
   * → {created, id, queueLength}, or {2, '', waiting} when maxQueued (≥ 0) messages already wait behind the
   * answer being generated (on any node: the lease says one is). Publishes the `user` event in the same step,
   * so it precedes any `start` of its answer.
   */
  appendUser: `${TRIM}
local existing = redis.call('HGET', KEYS[4], ARGV[1])
if existing then return {0, existing, 0} end
local maxQueued = tonumber(ARGV[10])
if maxQueued >= 0 then
  local waiting = redis.call('LLEN', KEYS[5]) + redis.call('EXISTS', KEYS[6]) - 1
  if waiting >= maxQueued then return {2, '', waiting} end
end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[2])
if ARGV[6] == '1' then redis.call('DEL', KEYS[5]) end
local n = redis.call('RPUSH', KEYS[5], ARGV[5])
trim(KEYS[2], KEYS[3], KEYS[4], KEYS[5], tonumber(ARGV[7]))
redis.call('SET', KEYS[1], '1', 'PX', ARGV[4])
for i = 2, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
redis.call('PUBLISH', ARGV[8], cjson.encode({t = 'user', id = ARGV[2], clientMsgId = ARGV[1], text = ARGV[9], queueLength = n}))
return {1, ARGV[2], n}`,
  /**
   * KEYS queue msgs order deltas(answer) cancels; ARGV userId answerId answerJson retention ttl channel startEvent
   * → 1: the turn left the queue and its answer was stored ended \`cancelled\` (and announced);
   * {2, id}: answer \`id\` is being generated (cancel it); 0: not queued nor started, flagged for startAnswer.
   */
  cancelQueued: `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 1 end
for _, t in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(t)['userId'] == ARGV[1] then
    redis.call('LREM', KEYS[1], 1, t)
    redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
    redis.call('RPUSH', KEYS[3], ARGV[2])
    redis.call('XADD', KEYS[4], '0-1', 'r', 'cancelled', 'u', 'null')
    redis.call('PEXPIRE', KEYS[4], ARGV[4])
    redis.call('PUBLISH', ARGV[6], ARGV[7])
    return 1
  end
end
for _, id in ipairs(redis.call('LRANGE', KEYS[3], -16, -1)) do
  local json = redis.call('HGET', KEYS[2], id)
  if json then
    local m = cjson.decode(json)
    if m['role'] == 'assistant' and m['replyTo'] == ARGV[1] then
      if type(m['finishReason']) == 'string' then return 0 end
      return {2, id}
    end
  end
end
redis.call('HSET', KEYS[5], ARGV[1], '1')
redis.call('PEXPIRE', KEYS[5], ARGV[5])
return 0`,
  /**
   * KEYS queue lease popped; ARGV owner token ttl → the next turn (JSON) or false; only for the lease owner.
   * Keeps what it took under `token`, so that the same pop sent again (its reply lost to a cut) gets the
   * same turn instead of taking the next one.
   */
  popTurn: `
local last = redis.call('GET', KEYS[3])
if last and string.sub(last, 1, #ARGV[2] + 1) == ARGV[2] .. ' ' then return string.sub(last, #ARGV[2] + 2) end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return false end
local turn = redis.call('LPOP', KEYS[1])
if turn then redis.call('SET', KEYS[3], ARGV[2] .. ' ' .. turn, 'PX', ARGV[3]) end
return turn`,
  /**
   * KEYS order msgs lease cancels deltas(answer); ARGV owner id json replyTo channel startEvent ttl → 1, 2
   * when its question was cancelled while leaving the queue (the answer is stored all the same, to be ended
   * at once), 0 when the lease is not ours. Publishes the start from the shard that published its question
   * (on a cluster, messages from one node keep their order; from two they need not). Creates the answer's
   * delta stream empty (a consumer group made with MKSTREAM and dropped) with the history's expiry, so
   * that a stream whose node dies unseen goes away with the history, and each delta is one plain XADD.
   * Run again for the same answer (its reply lost to a cut), it changes nothing and says the same.
   */
  startAnswer: `
local cancelled = redis.call('HGET', KEYS[4], ARGV[4])
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  if cancelled == ARGV[2] then return 2 end
  return 1
end
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('XGROUP', 'CREATE', KEYS[5], 'start', '0', 'MKSTREAM')
redis.call('XGROUP', 'DESTROY', KEYS[5], 'start')
redis.call('PEXPIRE', KEYS[5], ARGV[7])
redis.call('PUBLISH', ARGV[5], ARGV[6])
if cancelled == '1' then
  redis.call('HSET', KEYS[4], ARGV[4], ARGV[2])
  return 2
end
return 1`,
  /**
   * KEYS msgs deltas meta order cmid queue; ARGV id json seq reason usage retention ttl maxMessages channel
   * → 1, or 0 if it had already ended. Tells the followers on the delta channel.
   */
  finish: `${TRIM}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if cjson.decode(cur)['finishReason'] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
trim(KEYS[4], KEYS[1], KEYS[5], KEYS[6], tonumber(ARGV[8]))
redis.call('XADD', KEYS[2], ARGV[3] .. '-1', 'r', ARGV[4], 'u', ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[7])
for i = 4, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PUBLISH', ARGV[9], cjson.encode({t = 'e', id = ARGV[1]}))
return 1`,
  /**
   * KEYS msgs deltas lease; ARGV id retention channel → 1 interrupted, 0 nothing to do, -1 the lease is alive.
   * Ends an answer whose generating node stopped renewing its lease, keeping the text it streamed.
   */
  interrupt: `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local m = cjson.decode(cur)
if m['finishReason'] then return 0 end
local texts, thoughts, tools, sources = {}, {}, {}, {}
local seq = 0
for _, e in ipairs(redis.call('XRANGE', KEYS[2], '-', '+')) do
  local s, k = string.match(e[1], '^(%d+)-(%d+)$')
  if k == '0' then
    seq = tonumber(s)
    local f = e[2]
    for i = 1, #f - 1, 2 do
      if f[i] == 't' then texts[#texts + 1] = f[i + 1]
      elseif f[i] == 'k' then thoughts[#thoughts + 1] = f[i + 1]
      elseif f[i] == 'p' then
        local p = cjson.decode(f[i + 1])
        if type(p['tool']) == 'table' then
          local at = #tools + 1
          for j, t in ipairs(tools) do if t['id'] == p['tool']['id'] then at = j end end
          tools[at] = p['tool']
        elseif type(p['source']) == 'table' then sources[#sources + 1] = p['source'] end
      end
    end
  end
end
m['text'] = table.concat(texts)
if #thoughts > 0 then m['reasoning'] = table.concat(thoughts) end
if #tools > 0 then m['tools'] = tools end
if #sources > 0 then m['sources'] = sources end
m['seq'] = seq
m['finishReason'] = 'interrupted'
m['usage'] = cjson.null
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
redis.call('XADD', KEYS[2], seq .. '-1', 'r', 'interrupted', 'u', 'null')
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({t = 'e', id = ARGV[1]}))
return 1`,
  /**
   * KEYS lease msgs; ARGV owner ms messageId → 1 renewed, 0 another node holds it, -1 that answer was ended
   * elsewhere. A lease that ran out while nobody took it (Redis was away) is taken back, unless its
   * answer was ended meanwhile (interrupted by another node: only possible while the lease was out,
   * so the answer is read only then, not at every renewal).
   */
  renew: `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
if ARGV[3] ~= '' then
  local cur = redis.call('HGET', KEYS[2], ARGV[3])
  if cur and type(cjson.decode(cur)['finishReason']) == 'string' then return -1 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  /**
   * KEYS msgs; ARGV id value('' takes it back) channel node → {1, json, changed}: recorded (published
   * when it changed), 0: no such answer, 2: the answer has not ended. The verdict is a field of the
   * message's JSON.
   */
  feedback: `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local m = cjson.decode(cur)
if m['role'] ~= 'assistant' then return 0 end
if type(m['finishReason']) ~= 'string' then return 2 end
local changed = (m['feedback'] or '') ~= ARGV[2]
if changed then
  if ARGV[2] == '' then m['feedback'] = nil else m['feedback'] = ARGV[2] end
  cur = cjson.encode(m)
  redis.call('HSET', KEYS[1], ARGV[1], cur)
  redis.call('PUBLISH', ARGV[3], cjson.encode({t = 'feedback', id = ARGV[1], value = ARGV[2], node = ARGV[4]}))
end
return {1, cur, changed and 1 or 0}`,
  /** KEYS lease; ARGV owner */
  release: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`,
} as const;
type ScriptName = keyof typeof SCRIPTS;

/**
 * The scripts as a Redis Cluster runs them: their events go out with
 * SPUBLISH (sharded pub/sub, Redis 7), which stays within the shard that
 * holds the channel's slot. A PUBLISH on a cluster reaches every node of it
 * over the cluster bus, so every shard would carry every delta's event. A
 * conversation's channels carry its hash tag, as its keys do: same slot.
 */
const SHARDED_SCRIPTS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [
    name,
    lua.replaceAll("redis.call('PUBLISH'", "redis.call('SPUBLISH'"),
  ]),
) as Record<ScriptName, string>;

const shasOf = (scripts: Record<ScriptName, string>) =>
  Object.fromEntries(
    Object.entries(scripts).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
  ) as Record<ScriptName, string>;
const SHAS = shasOf(SCRIPTS);
const SHARDED_SHAS = shasOf(SHARDED_SCRIPTS);
// A script that publishes some other way would broadcast on a cluster: refuse to start instead.
for (const [name, lua] of Object.entries(SHARDED_SCRIPTS)) {
  if (/(?<!S)PUBLISH/.test(lua))
    throw new Error(`redis-store: script ${name} publishes other than by redis.call('PUBLISH', …)`);
}

/** A CLIENT SETNAME-safe name for this node's connections (no spaces). */
function connectionNameOf(nodeId: string): string {
  return `ai-stream-chat:${nodeId.replace(/[^\w./:-]/g, '_')}`;
}

/**
 * A delta entry's fields: `t` the answer text, `k` reasoning, `p` a tool
 * step or a source as JSON (`{"tool":…}` / `{"source":…}`).
 */
function entryFields(body: DeltaBody): string[] {
  const fields = ['t', body.text];
  if (body.reasoning !== undefined) fields.push('k', body.reasoning);
  if (body.tool !== undefined) fields.push('p', JSON.stringify({ tool: body.tool }));
  if (body.source !== undefined) fields.push('p', JSON.stringify({ source: body.source }));
  return fields;
}

function bodyOfEntry(field: (name: string) => string | undefined): DeltaBody {
  const body: DeltaBody = { text: field('t') ?? '' };
  const reasoning = field('k');
  if (reasoning !== undefined) body.reasoning = reasoning;
  const part = field('p');
  if (part !== undefined) Object.assign(body, JSON.parse(part) as Pick<DeltaBody, 'tool' | 'source'>);
  return body;
}

function parseEntry(id: string, fields: string[]): StreamEntry | undefined {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) return undefined;
  const seq = Number(match[1]);
  const field = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  if (match[2] === '0') return { kind: 'delta', seq, body: bodyOfEntry(field), id };
  const usage = field('u');
  return {
    kind: 'done',
    seq,
    id,
    finishReason: (field('r') ?? 'stop') as FinishReason,
    usage: usage && usage !== 'null' ? (JSON.parse(usage) as Usage) : null,
  };
}

/**
 * The Redis side of the shared store, on two connections however many
 * conversations and answers this node serves: one for commands (writes and
 * reads, in order), one subscribed to the channels of the conversations it
 * mirrors (events) and of the answers it follows (deltas); on a Redis
 * Cluster, one command connection per node and one sharded subscriber per
 * master (SPUBLISH / SSUBSCRIBE, so an event stays within its shard).
 * Commands issued while Redis is away wait in ioredis's offline queue and
 * fail after a few reconnection attempts; `health()` says which.
 */
export class RedisStore {
  readonly nodeId = `${hostname()}/${process.pid}/${newId('s').slice(2, 10)}`;
  readonly keys: RedisKeys;
  readonly graceMs: number;
  readonly leaseMs: number;
  /** How often a generating node renews its lease. */
  readonly renewEveryMs: number;
  readonly historyTtlMs: number;
  readonly replayRetentionMs: number;
  readonly maxHistoryMessages: number;
  readonly redis: RedisClient;
  /** Where this node's deltas wait for the turn's pipeline. */
  private readonly deltas: DeltaBatch;
  private readonly leaseRenewals: LeaseRenewals;
  private readonly subscriber: RedisClient;
  /** On a Redis Cluster: events go out with SPUBLISH and are received with SSUBSCRIBE (sharded pub/sub). */
  private readonly sharded: boolean;
  /** What each subscribed channel's messages are given to (parsed), by channel. */
  private readonly channelHandlers = new Map<string, (message: unknown) => void>();
  /** Called each time the subscriber connection is (re)established. */
  private readonly resubscribed = new Set<() => void>();
  private lastError: string | undefined;
  private closed = false;
  private lastReplyAt = Date.now();
  private pinging = false;
  private readonly prober: NodeJS.Timeout;

  constructor(options: RedisStoreOptions) {
    const target = checkRedisTarget(options);
    this.keys = new RedisKeys(options.keyPrefix ?? 'aisc');
    const d = SERVER_DEFAULTS;
    this.graceMs = option('redis.graceMs', options.graceMs, positiveInteger, d.redisGraceMs);
    this.leaseMs = option('redis.leaseMs', options.leaseMs, positiveInteger, this.graceMs + 2000);
    this.renewEveryMs = Math.min(1000, Math.ceil(this.leaseMs / 3));
    this.historyTtlMs = option('redis.historyTtlMs', options.historyTtlMs, positiveInteger, d.historyTtlMs);
    this.replayRetentionMs = option(
      'replayRetentionMs',
      options.replayRetentionMs,
      positiveInteger,
      d.replayRetentionMs,
    );
    this.maxHistoryMessages = option(
      'maxHistoryMessages',
      options.maxHistoryMessages,
      positiveInteger,
      d.maxHistoryMessages,
    );
    this.redis = connectRedis(
      target,
      {
        // Reconnect quickly and forever. A command waits out an outage of up to graceMs: through
        // enough reconnection attempts (100 ms, 200 ms, … then 1 s apart), or a stalled server's silence.
        retryStrategy: (times) => Math.min(100 * times, 1000),
        maxRetriesPerRequest: Math.ceil(this.graceMs / 1000) + 5,
        commandTimeout: this.graceMs,
        lazyConnect: false,
        // CLIENT LIST names every connection of this node (operators and tests count them).
        connectionName: connectionNameOf(this.nodeId),
      },
      this.graceMs,
    );
    this.deltas = new DeltaBatch(this.redis, this.graceMs);
    this.leaseRenewals = new LeaseRenewals({
      renewEveryMs: this.renewEveryMs,
      graceMs: this.graceMs,
      leaseMs: this.leaseMs,
      unreachableForMs: () => this.unreachableForMs(),
      renew: (conversationId, answerId) => this.renewLease(conversationId, answerId),
      recordDeadlines: (conversationIds, deadline) => this.recordLeaseDeadlines(conversationIds, deadline),
      corked: (issue) => corked(commandConnections(this.redis), issue),
    });
    this.redis.on('error', (error: Error) => this.noteError(error));
    this.redis.on('ready', () => this.noteReady());
    this.prober = setInterval(() => this.probe(), PROBE_EVERY_MS);
    this.prober.unref();
    this.sharded = this.redis instanceof Cluster;
    // On a cluster, ioredis keeps one sharded subscriber connection per master (the one holding a channel's slot).
    this.subscriber =
      this.redis instanceof Cluster
        ? this.redis.duplicate(undefined, { shardedSubscribers: true })
        : this.redis.duplicate();
    this.subscriber.on('error', () => {});
    this.subscriber.on(this.sharded ? 'smessage' : 'message', (channel: string, message: string) => {
      const handler = this.channelHandlers.get(channel);
      if (!handler) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        return; // A malformed event is ignored: events only speed things up, the streams are the truth.
      }
      handler(parsed);
    });
    // Messages published while it reconnected are lost: whoever listens catches up from the streams.
    // On a cluster: once ioredis has replaced a failed master's subscriber and subscribed it again.
    this.subscriber.on(this.sharded ? 'subscribersReady' : 'ready', () => {
      for (const listener of this.resubscribed) listener();
    });
  }

  /** Runs `listener` whenever pub/sub messages may have been lost (the subscriber reconnected); returns its removal. */
  onResubscribe(listener: () => void): () => void {
    this.resubscribed.add(listener);
    return () => this.resubscribed.delete(listener);
  }

  private noteError(error: Error): void {
    const message = error.message || String(error);
    if (this.lastError === undefined && !this.closed) {
      process.stderr.write(`ai-stream-chat: Redis unavailable (${message}); retrying\n`);
    }
    this.lastError = message;
  }

  private noteReady(): void {
    if (this.lastError !== undefined && !this.closed) process.stderr.write('ai-stream-chat: Redis is back\n');
    this.lastError = undefined;
  }

  /** Resolves once the command connection is ready (or rejects when it cannot connect soon). */
  async ready(): Promise<void> {
    await this.redis.ping();
  }

  /**
   * A PING a second: a connected Redis that stops answering (stalled,
   * overloaded) shows in `health` though the connection stays up.
   */
  private probe(): void {
    if (this.pinging || this.closed) return;
    this.pinging = true;
    this.redis.ping().then(
      () => {
        this.pinging = false;
        this.lastReplyAt = Date.now();
      },
      () => {
        this.pinging = false;
      },
    );
  }

  /** How long Redis has not answered (0 while it answers). */
  unreachableForMs(now = Date.now()): number {
    const silent = now - this.lastReplyAt;
    return this.redis.status !== 'ready' || silent > PROBE_STALE_MS ? silent : 0;
  }

  health(): { ok: boolean; error?: string } {
    const silent = Date.now() - this.lastReplyAt;
    if (this.redis.status === 'ready' && silent <= PROBE_STALE_MS) return { ok: true };
    if (this.redis.status === 'ready') return { ok: false, error: `Redis has not answered for ${silent} ms` };
    return { ok: false, error: `Redis ${this.redis.status}${this.lastError ? `: ${this.lastError}` : ''}` };
  }

  private async script(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      const sha = (this.sharded ? SHARDED_SHAS : SHAS)[name];
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      return this.redis.eval((this.sharded ? SHARDED_SCRIPTS : SCRIPTS)[name], keys.length, ...keys, ...args);
    }
  }

  // --- conversations and messages ---

  async exists(conversationId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.meta(conversationId))) === 1;
  }

  async create(conversationId: string): Promise<void> {
    await this.redis.set(this.keys.meta(conversationId), '1', 'PX', this.historyTtlMs, 'NX');
  }

  /** The history in order, with the text and seq of unfinished answers read from their streams. */
  async load(conversationId: string): Promise<MessageRecord[]> {
    return (await this.loadHistory(conversationId)).records;
  }

  /** `load`, and how many older messages were trimmed from the conversation. */
  async loadHistory(conversationId: string): Promise<{ records: MessageRecord[]; trimmed: number }> {
    const k = this.keys;
    const [[, ids], [, all]] = (await this.redis
      .multi()
      .lrange(k.order(conversationId), 0, -1)
      .hgetall(k.messages(conversationId))
      .exec()) as [[null, string[]], [null, Record<string, string>]];
    const trimmed = Number(all[TRIMMED_FIELD] ?? 0);
    const records: MessageRecord[] = [];
    for (const id of ids) {
      const json = all[id];
      if (json) records.push(JSON.parse(json) as MessageRecord);
    }
    await Promise.all(
      records
        .filter((r) => r.role === 'assistant' && !r.finishReason)
        .map(async (r) => {
          const entries = await this.range(conversationId, r.id, 0);
          r.text = '';
          r.seq = 0;
          for (const e of entries) {
            if (e.kind === 'delta') {
              // A gap (writes a failover lost): what follows it is not known; the answer's end will say.
              if (e.seq !== r.seq + 1) break;
              applyDelta(r, e.body);
              r.seq = e.seq;
            } else {
              r.finishReason = e.finishReason;
              r.usage = e.usage;
            }
          }
        }),
    );
    return { records, trimmed };
  }

  async message(conversationId: string, messageId: string): Promise<MessageRecord | undefined> {
    const json = await this.redis.hget(this.keys.messages(conversationId), messageId);
    return json ? (JSON.parse(json) as MessageRecord) : undefined;
  }

  /**
   * Adds a user message and queues its turn; idempotent on `clientMsgId`
   * (a retried send gets the first message's id and `created: false`).
   * With `maxQueued`, refuses it (`busy`, with how many wait) when that many
   * messages already wait behind the answer being generated, whichever nodes
   * they came through: the check and the append are one step in Redis.
   */
  async appendUser(
    conversationId: string,
    record: MessageRecord & { clientMsgId: string },
    turn: QueuedTurnRecord,
    interrupt: boolean,
    maxQueued?: number,
  ): Promise<{ created: boolean; id: string; queueLength: number } | { busy: true; waiting: number }> {
    const k = this.keys;
    const [created, id, queueLength] = (await this.script(
      'appendUser',
      [
        k.meta(conversationId),
        k.order(conversationId),
        k.messages(conversationId),
        k.clientIds(conversationId),
        k.queue(conversationId),
        k.lease(conversationId),
      ],
      [
        record.clientMsgId,
        record.id,
        JSON.stringify(record),
        this.historyTtlMs,
        JSON.stringify(turn),
        interrupt ? '1' : '0',
        this.maxHistoryMessages,
        k.events(conversationId),
        record.text,
        maxQueued ?? -1,
      ],
    )) as [number, string, number];
    if (created === 2) return { busy: true, waiting: queueLength };
    return { created: created === 1, id, queueLength };
  }

  /**
   * Cancels user message `userId`'s answer before it starts: takes its turn
   * out of the queue and stores `answer` (ended `cancelled`, no text) in its
   * place, announced to every node as a start whose stream holds only its
   * end. When the turn has left the queue already, says which answer is
   * being generated for it, or flags it so that `startAnswer` ends it at once.
   */
  async cancelQueued(
    conversationId: string,
    userId: string,
    answer: MessageRecord,
  ): Promise<{ removed: true } | { removed: false; generating?: string }> {
    const k = this.keys;
    const start: ConversationEvent = { t: 'start', id: answer.id, replyTo: userId, node: this.nodeId };
    const result = (await this.script(
      'cancelQueued',
      [
        k.queue(conversationId),
        k.messages(conversationId),
        k.order(conversationId),
        k.deltas(conversationId, answer.id),
        k.cancels(conversationId),
      ],
      [
        userId,
        answer.id,
        JSON.stringify(answer),
        this.replayRetentionMs,
        this.historyTtlMs,
        k.events(conversationId),
        JSON.stringify(start),
      ],
    )) as number | [number, string];
    if (result === 1) return { removed: true };
    return Array.isArray(result) ? { removed: false, generating: result[1] } : { removed: false };
  }

  async queueLength(conversationId: string): Promise<number> {
    return this.redis.llen(this.keys.queue(conversationId));
  }

  // --- generation lease ---

  /**
   * Takes the conversation's generation lease if nobody holds it. Holding it
   * already counts as taking it: the same request sent again after a cut
   * lost its reply finds the lease it took.
   */
  async acquireLease(conversationId: string): Promise<boolean> {
    const ours = await this.renewLease(conversationId, '');
    if (ours) await this.recordLeaseDeadlines([conversationId], Date.now() + this.leaseMs);
    return ours;
  }

  /** Puts the leases' deadline in the lease index, where the dead-node sweep looks (one command). */
  private recordLeaseDeadlines(conversationIds: string[], deadline: number): Promise<number> {
    return this.redis.zadd(this.keys.leases(), ...conversationIds.flatMap((id) => [deadline, id]));
  }

  /**
   * Keeps our lease on `conversationId` renewed until the returned function
   * is called (see LeaseRenewals: one timer and one write for all of this
   * node's leases); `lost` is called when it cannot be: another node took it,
   * ended `answerId()` (the answer being generated), or Redis has been away
   * past the grace.
   */
  keepLease(conversationId: string, answerId: () => string | undefined, lost: () => void): () => void {
    return this.leaseRenewals.keep(conversationId, answerId, lost);
  }

  /**
   * Extends our lease (taking it back if it ran out unclaimed), issued at
   * once; false when another node took it, or ended `messageId`.
   */
  private async renewLease(conversationId: string, messageId: string): Promise<boolean> {
    return (
      (await this.script(
        'renew',
        [this.keys.lease(conversationId), this.keys.messages(conversationId)],
        [this.nodeId, this.leaseMs, messageId],
      )) === 1
    );
  }

  async releaseLease(conversationId: string): Promise<void> {
    await this.script('release', [this.keys.lease(conversationId)], [this.nodeId]);
    await this.redis.zrem(this.keys.leases(), conversationId);
  }

  async leaseHolder(conversationId: string): Promise<string | null> {
    return this.redis.get(this.keys.lease(conversationId));
  }

  /** Takes the next queued turn (only the lease holder can); once, however often a cut makes it run. */
  async popTurn(conversationId: string): Promise<QueuedTurnRecord | undefined> {
    const json = (await this.script(
      'popTurn',
      [this.keys.queue(conversationId), this.keys.lease(conversationId), this.keys.popped(conversationId)],
      [this.nodeId, randomUUID(), this.leaseMs],
    )) as string | null;
    return json ? (JSON.parse(json) as QueuedTurnRecord) : undefined;
  }

  /** Conversations whose lease deadline has passed (their node may be dead). */
  async expiredLeases(now = Date.now()): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.leases(), '-inf', now, 'LIMIT', 0, 100);
  }

  async forgetLease(conversationId: string): Promise<void> {
    await this.redis.zrem(this.keys.leases(), conversationId);
  }

  /**
   * Ends every unfinished answer of a conversation whose lease is gone as
   * `interrupted`; returns how many, or -1 when the lease is alive after all.
   */
  async interruptOrphans(conversationId: string): Promise<number> {
    const records = await this.load(conversationId);
    let count = 0;
    for (const r of records) {
      if (r.role !== 'assistant' || r.finishReason) continue;
      const result = (await this.script(
        'interrupt',
        [
          this.keys.messages(conversationId),
          this.keys.deltas(conversationId, r.id),
          this.keys.lease(conversationId),
        ],
        [r.id, this.replayRetentionMs, this.keys.deltaEvents(conversationId)],
      )) as number;
      if (result === -1) return -1;
      count += result;
    }
    return count;
  }

  // --- answers ---

  /**
   * Adds an assistant message under our lease and announces its start to
   * every node: `started`, or `cancelled` when its question was cancelled on
   * its way out of the queue (end it at once), or `lost` when the lease is no
   * longer ours.
   */
  async startAnswer(
    conversationId: string,
    record: MessageRecord & { replyTo: string },
  ): Promise<'started' | 'cancelled' | 'lost'> {
    const k = this.keys;
    const result = await this.script(
      'startAnswer',
      [
        k.order(conversationId),
        k.messages(conversationId),
        k.lease(conversationId),
        k.cancels(conversationId),
        k.deltas(conversationId, record.id),
      ],
      [
        this.nodeId,
        record.id,
        JSON.stringify(record),
        record.replyTo,
        k.events(conversationId),
        JSON.stringify({ t: 'start', id: record.id, replyTo: record.replyTo, node: this.nodeId }),
        this.historyTtlMs,
      ],
    );
    return result === 1 ? 'started' : result === 2 ? 'cancelled' : 'lost';
  }

  /**
   * Appends delta `seq` (stream id `<seq>-0`) and, when `followed` (another
   * node relays the answer: see `noticeFollow`), tells the followers, in
   * this turn's batch of deltas (see DeltaBatch): in order, behind the
   * commands issued before it. Resolves once stored. Idempotent: after a cut
   * or a Redis restart the client resends commands whose replies were lost,
   * and an XADD that had already been applied (and persisted) is then refused
   * for its id; that delta is already there.
   */
  appendDelta(
    conversationId: string,
    messageId: string,
    seq: number,
    body: DeltaBody,
    followed: boolean,
  ): Promise<void> {
    const write: DeltaWrite = {
      key: this.keys.deltas(conversationId, messageId),
      id: `${seq}-0`,
      fields: entryFields(body),
    };
    if (followed) write.publish = this.deltaEvent(conversationId, messageId, seq, body);
    return this.deltas.append(write);
  }

  private deltaEvent(
    conversationId: string,
    messageId: string,
    seq: number,
    body: DeltaBody,
  ): { channel: string; event: string } {
    const event: Extract<DeltaEvent, { t: 'd' }> = { t: 'd', id: messageId, s: seq, x: body.text };
    // Field by field, not a rest spread (V8's slow path), on a path every delta takes.
    if (carriesPart(body)) {
      const parts: Omit<DeltaBody, 'text'> = {};
      if (body.reasoning !== undefined) parts.reasoning = body.reasoning;
      if (body.tool !== undefined) parts.tool = body.tool;
      if (body.source !== undefined) parts.source = body.source;
      event.p = parts;
    }
    return { channel: this.keys.deltaEvents(conversationId), event: JSON.stringify(event) };
  }

  /** Ends an answer (whole text, finish reason, usage) and starts its stream's retention. */
  async finish(conversationId: string, record: MessageRecord): Promise<boolean> {
    this.deltas.flush(true); // its end entry goes after its last delta
    const k = this.keys;
    const ok = await this.script(
      'finish',
      [
        k.messages(conversationId),
        k.deltas(conversationId, record.id),
        k.meta(conversationId),
        k.order(conversationId),
        k.clientIds(conversationId),
        k.queue(conversationId),
      ],
      [
        record.id,
        JSON.stringify(record),
        record.seq,
        record.finishReason ?? 'stop',
        JSON.stringify(record.usage ?? null),
        this.replayRetentionMs,
        this.historyTtlMs,
        this.maxHistoryMessages,
        k.deltaEvents(conversationId),
      ],
    );
    return ok === 1;
  }

  /**
   * Stores a reader's verdict on an ended answer (`null` takes it back) and
   * announces a change to every node; the answer as stored, or why not.
   */
  async setFeedback(
    conversationId: string,
    messageId: string,
    value: FeedbackValue | null,
  ): Promise<
    { outcome: 'recorded'; answer: MessageRecord; changed: boolean } | { outcome: 'unknown' | 'unfinished' }
  > {
    const result = (await this.script(
      'feedback',
      [this.keys.messages(conversationId)],
      [messageId, value ?? '', this.keys.events(conversationId), this.nodeId],
    )) as number | [number, string, number];
    if (Array.isArray(result)) {
      return {
        outcome: 'recorded',
        answer: JSON.parse(result[1]) as MessageRecord,
        changed: result[2] === 1,
      };
    }
    return { outcome: result === 2 ? 'unfinished' : 'unknown' };
  }

  /** Stream entries after `afterSeq` (deltas from afterSeq+1, then the end if written). */
  async range(conversationId: string, messageId: string, afterSeq: number): Promise<StreamEntry[]> {
    const raw = await this.redis.xrange(this.keys.deltas(conversationId, messageId), `${afterSeq}-1`, '+');
    return raw.map(([id, fields]) => parseEntry(id, fields)).filter((e): e is StreamEntry => e !== undefined);
  }

  // --- events between nodes ---

  async publish(conversationId: string, event: ConversationEvent): Promise<void> {
    await publishOn(this.redis, this.keys.events(conversationId), JSON.stringify(event));
  }

  /** Receives the conversation's events until the returned function is called. */
  listen(conversationId: string, handler: (event: ConversationEvent) => void): Promise<() => void> {
    return this.subscribe(this.keys.events(conversationId), handler as (message: unknown) => void);
  }

  /**
   * Tells the node generating `messageId` that this node follows it, so that
   * node publishes its deltas from now on (it publishes none while nobody
   * follows: half the Redis commands of an answer). Lost, it is sent again
   * by the follower's check; until then the follower reads the stream.
   */
  async noticeFollow(conversationId: string, messageId: string): Promise<void> {
    await publishOn(this.redis, this.keys.followNotices(conversationId), JSON.stringify({ id: messageId }));
  }

  /** Receives follow notices for the conversation's answers (see `noticeFollow`) until the returned function is called. */
  listenFollows(conversationId: string, handler: (notice: FollowNotice) => void): Promise<() => void> {
    return this.subscribe(this.keys.followNotices(conversationId), handler as (message: unknown) => void);
  }

  /**
   * Receives the deltas published for the conversation's answers (by the
   * node generating them) until the returned function is called; resolves
   * once subscribed, so a stream read after it misses nothing between.
   */
  listenDeltas(conversationId: string, handler: (event: DeltaEvent) => void): Promise<() => void> {
    return this.subscribe(this.keys.deltaEvents(conversationId), handler as (message: unknown) => void);
  }

  private async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => void> {
    this.channelHandlers.set(channel, handler);
    await (this.sharded ? this.subscriber.ssubscribe(channel) : this.subscriber.subscribe(channel));
    return () => {
      if (this.channelHandlers.get(channel) !== handler) return;
      this.channelHandlers.delete(channel);
      (this.sharded ? this.subscriber.sunsubscribe(channel) : this.subscriber.unsubscribe(channel)).catch(
        () => {},
      );
    };
  }

  async close(): Promise<void> {
    this.deltas.flush(true);
    this.leaseRenewals.stop();
    this.closed = true;
    clearInterval(this.prober);
    this.resubscribed.clear();
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
