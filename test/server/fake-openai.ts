import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    messages: { role: string; content: string }[];
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    temperature?: number;
    max_tokens?: number;
  };
  /** Resolves when the client aborts or the response ends, with whether the client went away first. */
  closed: Promise<{ aborted: boolean }>;
}

export type Script = (res: ServerResponse, request: UpstreamRequest) => void | Promise<void>;

/** A Chat Completions chunk in the real wire shape. */
export function chunk(content: string | null, finishReason: string | null = null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'fake-model',
    choices: [
      {
        index: 0,
        delta: content === null ? {} : { role: 'assistant', content },
        finish_reason: finishReason,
      },
    ],
  })}\n\n`;
}

export function usageChunk(prompt: number, completion: number): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'fake-model',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  })}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

/** Streams `tokens`, a finish chunk, a usage chunk and [DONE]. */
export function answer(
  tokens: string[],
  { usage = [11, tokens.length] as [number, number], finish = 'stop' } = {},
): Script {
  return (res) => {
    startSse(res);
    for (const t of tokens) res.write(chunk(t));
    res.write(chunk(null, finish));
    res.write(usageChunk(usage[0], usage[1]));
    res.end(DONE);
  };
}

export function errorStatus(status: number, message: string): Script {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: null } }));
  };
}

/**
 * A fake OpenAI-compatible server on 127.0.0.1: each POST to
 * /v1/chat/completions takes the next script (or the default one) and records
 * the request.
 */
export class FakeUpstream {
  readonly requests: UpstreamRequest[] = [];
  readonly scripts: Script[] = [];
  defaultScript: Script = answer(['Hello', ', ', 'world', '!']);
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<FakeUpstream> {
    const fake = new FakeUpstream();
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    return fake;
  }

  get baseURL(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const part of req) raw += String(part);
    const closed = new Promise<{ aborted: boolean }>((resolve) => {
      res.once('close', () => resolve({ aborted: !res.writableFinished }));
    });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    // A client that gave up before this request was handled (a busy machine runs the handler
    // late) must not take the script that the next test queued for its own request.
    if (req.socket.destroyed || req.socket.readableEnded) {
      res.destroy();
      return;
    }
    const request: UpstreamRequest = { path: req.url, headers: req.headers, body: JSON.parse(raw), closed };
    this.requests.push(request);
    const script = this.scripts.shift() ?? this.defaultScript;
    await script(res, request);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
