/**
 * The wire protocol's frames, defined once: the TypeScript types are inferred
 * from these schemas, and both the widget and the server validate every
 * inbound frame with them (the widget through server-frame-check.ts, held to
 * these schemas by test/protocol/server-frame-check.test.ts, so that valibot
 * stays out of its bundle). Objects are loose so that fields a newer peer adds
 * are ignored, as PROTOCOL.md requires.
 */
import * as v from 'valibot';
import { MAX_ID_LENGTH } from './constants.js';

export { MAX_ID_LENGTH, MAX_RESUME_ENTRIES, PROTOCOL_VERSION } from './constants.js';

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH));
const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const MessageParamsSchema = v.pipe(
  // valibot's object schemas take arrays too (and copy them into objects); `params: []` is no object here.
  v.custom<object>(
    (params) => typeof params === 'object' && params !== null && !Array.isArray(params),
    'Invalid type: Expected Object',
  ),
  v.looseObject({
    temperature: v.optional(v.number()),
    maxTokens: v.optional(v.pipe(v.number(), v.integer())),
    model: v.optional(v.string()),
    system: v.optional(v.string()),
  }),
);
export type MessageParams = v.InferOutput<typeof MessageParamsSchema>;

export const FinishReasonSchema = v.picklist(['stop', 'length', 'cancelled', 'error', 'interrupted']);
export type FinishReason = v.InferOutput<typeof FinishReasonSchema>;

export const UsageSchema = v.looseObject({
  promptTokens: Count,
  completionTokens: Count,
  /** Of `completionTokens`, those the model spent reasoning, when the upstream reports them. */
  reasoningTokens: v.optional(Count),
});
export type Usage = v.InferOutput<typeof UsageSchema>;

// ---- parts of an answer (PROTOCOL.md section 16) ---------------------------

export const ToolStatusSchema = v.picklist(['running', 'done', 'failed']);
export type ToolStatus = v.InferOutput<typeof ToolStatusSchema>;

/** A step the answer's source took (a search, a tool call): each delta carrying it gives its whole current state. */
export const ToolStepSchema = v.looseObject({
  id: Id,
  /** The tool's name, for machines (`search_docs`). */
  name: v.string(),
  /** A short line for people ("Searching the docs…"). */
  label: v.string(),
  status: ToolStatusSchema,
  /** One line on the result, once there is one. */
  summary: v.optional(v.string()),
});
export type ToolStep = v.InferOutput<typeof ToolStepSchema>;

/** A source the answer rests on; `n` numbers it from 1 in order, so the text can cite `[n]`. */
export const SourceRefSchema = v.looseObject({
  n: v.pipe(v.number(), v.integer(), v.minValue(1)),
  title: v.string(),
  url: v.string(),
  snippet: v.optional(v.string()),
});
export type SourceRef = v.InferOutput<typeof SourceRefSchema>;

/** The parts of an answer beside its text, as a snapshot or a history entry carries them (each absent when empty). */
const PartsEntries = {
  reasoning: v.optional(v.string()),
  tools: v.optional(v.array(ToolStepSchema)),
  sources: v.optional(v.array(SourceRefSchema)),
};

// ---- client → server ------------------------------------------------------

export const HelloFrameSchema = v.looseObject({
  type: v.literal('hello'),
  v: v.pipe(v.number(), v.integer()),
  token: v.optional(v.string()),
  conversationId: v.optional(Id),
  resume: v.optional(v.array(v.looseObject({ messageId: Id, lastSeq: Seq }))),
  /** The client reads compact deltas (PROTOCOL.md section 14). */
  compact: v.optional(v.boolean()),
  /** The client understands the parts of an answer beside its text (PROTOCOL.md section 16). */
  parts: v.optional(v.boolean()),
  /** The client fetches older history in pages (PROTOCOL.md section 17). */
  historyPages: v.optional(v.boolean()),
});

export const SendFrameSchema = v.looseObject({
  type: v.literal('send'),
  clientMsgId: Id,
  text: v.string(),
  params: v.optional(MessageParamsSchema),
});

export const CancelFrameSchema = v.looseObject({
  type: v.literal('cancel'),
  messageId: Id,
});

export const PingFrameSchema = v.looseObject({ type: v.literal('ping') });

/** A reader's verdict on an answer: thumbs up or down. */
export const FeedbackValueSchema = v.picklist(['up', 'down']);
export type FeedbackValue = v.InferOutput<typeof FeedbackValueSchema>;

/**
 * Both ways: the client's verdict on an ended answer (`null` takes it back),
 * and the server telling every socket on the conversation the verdict it
 * recorded (PROTOCOL.md section 15).
 */
export const FeedbackFrameSchema = v.looseObject({
  type: v.literal('feedback'),
  messageId: Id,
  value: v.nullable(FeedbackValueSchema),
});

/** The most messages one history page carries (a `limit` above it is lowered to it). */
export const MAX_HISTORY_PAGE = 100;

/** Asks for the messages before `before`, newest last, at most `limit` of them (PROTOCOL.md section 17). */
export const HistoryRequestFrameSchema = v.looseObject({
  type: v.literal('history'),
  before: Id,
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

export const ClientFrameSchema = v.variant('type', [
  HelloFrameSchema,
  SendFrameSchema,
  CancelFrameSchema,
  PingFrameSchema,
  FeedbackFrameSchema,
  HistoryRequestFrameSchema,
]);
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;
export type HelloFrame = v.InferOutput<typeof HelloFrameSchema>;
export type SendFrame = v.InferOutput<typeof SendFrameSchema>;
export type CancelFrame = v.InferOutput<typeof CancelFrameSchema>;
export type FeedbackFrame = v.InferOutput<typeof FeedbackFrameSchema>;
export type HistoryRequestFrame = v.InferOutput<typeof HistoryRequestFrameSchema>;

// ---- server → client ------------------------------------------------------

export const HistoryMessageSchema = v.looseObject({
  id: Id,
  role: v.picklist(['user', 'assistant']),
  /**
   * The text up to `seq`. Omitted for messages the client named in
   * `hello.resume`: their missing text follows the welcome as deltas or a snapshot.
   */
  text: v.optional(v.string()),
  /** For assistant messages: the seq the text runs up to. */
  seq: v.optional(Seq),
  /** For assistant messages: absent while the answer is still streaming. */
  finishReason: v.optional(FinishReasonSchema),
  replyTo: v.optional(Id),
  clientMsgId: v.optional(Id),
  /** For ended assistant messages: the verdict a reader gave it, if any. */
  feedback: v.optional(FeedbackValueSchema),
  /** Assistant, for a client that asked for parts: reasoning, tool steps and sources up to `seq` (absent with `text`). */
  ...PartsEntries,
});
export type HistoryMessage = v.InferOutput<typeof HistoryMessageSchema>;

export const LimitsSchema = v.looseObject({
  maxTextLength: Count,
  maxFrameBytes: Count,
});
export type Limits = v.InferOutput<typeof LimitsSchema>;

export const WelcomeFrameSchema = v.looseObject({
  type: v.literal('welcome'),
  v: v.pipe(v.number(), v.integer()),
  sessionId: Id,
  conversationId: Id,
  heartbeatMs: Count,
  limits: LimitsSchema,
  history: v.array(HistoryMessageSchema),
  active: v.array(Id),
  /** How many older messages of the conversation `history` leaves out (trimmed or over the welcome's budget). */
  omitted: v.optional(Count),
  /** The server will send compact deltas (the client asked with `hello.compact`). */
  compact: v.optional(v.boolean()),
  /** The server will send the parts of answers (the client asked with `hello.parts`). */
  parts: v.optional(v.boolean()),
  /** The server answers `history` requests (the client asked with `hello.historyPages`). */
  historyPages: v.optional(v.boolean()),
});

export const AckFrameSchema = v.looseObject({
  type: v.literal('ack'),
  clientMsgId: Id,
  messageId: Id,
  /** How many answers will be generated before this message's: 0 = next. */
  queuePosition: v.optional(Count),
});

export const StartFrameSchema = v.looseObject({
  type: v.literal('start'),
  messageId: Id,
  replyTo: Id,
});

/**
 * A user message was added to the conversation, by this client or another
 * one on the same conversation (another tab or device): sent to every socket
 * following it, before the `start` of its answer.
 */
export const UserFrameSchema = v.looseObject({
  type: v.literal('user'),
  messageId: Id,
  clientMsgId: Id,
  text: v.string(),
  /** As in `ack`: how many answers come before this message's. */
  queuePosition: v.optional(Count),
});

export const DeltaFrameSchema = v.looseObject({
  type: v.literal('delta'),
  messageId: Id,
  seq: v.pipe(Seq, v.minValue(1)),
  /**
   * First seq this delta covers, when it carries several (the server merges
   * deltas for a client that reads slowly); absent means `seq`. The text is
   * the texts of `fromSeq`..`seq` joined.
   */
  fromSeq: v.optional(v.pipe(Seq, v.minValue(1))),
  /** Answer text; empty in a delta that carries another part. */
  text: v.string(),
  /** Reasoning text, appended to the answer's reasoning (PROTOCOL.md section 16). */
  reasoning: v.optional(v.string()),
  /** A tool step's whole current state, replacing the step with its id (or adding it). */
  tool: v.optional(ToolStepSchema),
  /** The answer's next source. */
  source: v.optional(SourceRefSchema),
});

export const SnapshotFrameSchema = v.looseObject({
  type: v.literal('snapshot'),
  messageId: Id,
  seq: Seq,
  text: v.string(),
  ...PartsEntries,
});

export const DoneFrameSchema = v.looseObject({
  type: v.literal('done'),
  messageId: Id,
  seq: Seq,
  finishReason: FinishReasonSchema,
  usage: v.nullable(UsageSchema),
});

export const ErrorFrameSchema = v.looseObject({
  type: v.literal('error'),
  code: v.string(),
  message: v.string(),
  retryable: v.boolean(),
  retryAfterMs: v.optional(Count),
  messageId: v.optional(Id),
  clientMsgId: v.optional(Id),
});

export const PongFrameSchema = v.looseObject({ type: v.literal('pong') });

/** A page of older history, in answer to a `history` request: the messages before `before`, oldest first. */
export const HistoryPageFrameSchema = v.looseObject({
  type: v.literal('history'),
  before: Id,
  messages: v.array(HistoryMessageSchema),
  /** Older messages than these exist and can be asked for. */
  more: v.boolean(),
});

export const ServerFrameSchema = v.variant('type', [
  WelcomeFrameSchema,
  AckFrameSchema,
  StartFrameSchema,
  UserFrameSchema,
  DeltaFrameSchema,
  SnapshotFrameSchema,
  DoneFrameSchema,
  ErrorFrameSchema,
  PongFrameSchema,
  FeedbackFrameSchema,
  HistoryPageFrameSchema,
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
export type WelcomeFrame = v.InferOutput<typeof WelcomeFrameSchema>;
export type AckFrame = v.InferOutput<typeof AckFrameSchema>;
export type StartFrame = v.InferOutput<typeof StartFrameSchema>;
export type UserFrame = v.InferOutput<typeof UserFrameSchema>;
export type DeltaFrame = v.InferOutput<typeof DeltaFrameSchema>;
export type SnapshotFrame = v.InferOutput<typeof SnapshotFrameSchema>;
export type DoneFrame = v.InferOutput<typeof DoneFrameSchema>;
export type ErrorFrame = v.InferOutput<typeof ErrorFrameSchema>;
export type HistoryPageFrame = v.InferOutput<typeof HistoryPageFrameSchema>;
