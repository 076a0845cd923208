import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { parseCliOptions } from '../../src/cli/cli-options.js';
import { isType, Peer } from '../../src/conformance/peer.js';
import { startCli } from '../helpers/cli.js';
import { answerText } from '../helpers/frames.js';
import { welcomed } from '../helpers/kit.js';
import { answer, FakeUpstream } from './fake-openai.js';

describe('CLI --source', () => {
  it('defaults to the mock source', () => {
    assert.equal(parseCliOptions([], {}).source, 'mock');
  });

  it('reads --model, OPENAI_BASE_URL and OPENAI_API_KEY for --source openai', () => {
    const options = parseCliOptions(['--source', 'openai', '--model', 'llama3.2'], {
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      OPENAI_API_KEY: 'sk-x',
    });
    assert.equal(options.source, 'openai');
    assert.equal(options.model, 'llama3.2');
    assert.equal(options.openaiBaseURL, 'http://127.0.0.1:11434/v1');
    assert.equal(options.openaiApiKey, 'sk-x');
  });

  it('rejects an unknown source, a missing model and a bad base URL', () => {
    assert.throws(() => parseCliOptions(['--source', 'gpt'], {}), /--source must be "mock" or "openai"/);
    assert.throws(() => parseCliOptions(['--source', 'openai'], {}), /--source openai needs --model/);
    assert.throws(
      () => parseCliOptions(['--source', 'openai', '--model', 'm'], { OPENAI_BASE_URL: 'localhost:11434' }),
      /OPENAI_BASE_URL must be an http\(s\) URL/,
    );
  });

  it('the binary streams from an OpenAI-compatible upstream', async () => {
    const upstream = await FakeUpstream.start();
    upstream.defaultScript = answer(['from ', 'upstream']);
    const { child, wsUrl } = await startCli(['--port', '0', '--source', 'openai', '--model', 'fake-model'], {
      env: { ...process.env, OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'sk-cli' },
    });
    try {
      const client = await welcomed(wsUrl);
      client.send({ type: 'send', clientMsgId: 'x', text: 'hi' });
      const done = await client.waitFor(isType('done'));
      assert.equal(done.finishReason, 'stop');
      assert.equal(answerText(client.frames, done.messageId, { strict: true }).text, 'from upstream');
      assert.equal(upstream.requests[0]?.headers.authorization, 'Bearer sk-cli');
      assert.equal(upstream.requests[0]?.body.model, 'fake-model');
      client.close();
    } finally {
      child.kill('SIGKILL');
      await upstream.close();
    }
  });
});

describe('CLI session flags', () => {
  it('parses --allowed-origins and --require-session, and checks SESSION_SECRET', () => {
    const options = parseCliOptions(
      ['--allowed-origins', 'https://a.example, http://localhost:5173', '--require-session'],
      { SESSION_SECRET: 'x'.repeat(32) },
    );
    assert.deepEqual(options.allowedOrigins, ['https://a.example', 'http://localhost:5173']);
    assert.equal(options.requireSession, true);
    assert.equal(options.sessionSecret, 'x'.repeat(32));
    assert.equal(parseCliOptions([], {}).requireSession, false);
    assert.throws(
      () => parseCliOptions(['--require-session'], { SESSION_SECRET: 'short' }),
      /SESSION_SECRET must be at least 32 bytes/,
    );
  });

  it('the binary warns about a random secret, issues tokens and refuses upgrades without one', async () => {
    const env = { ...process.env };
    delete env.SESSION_SECRET;
    const server = await startCli(
      ['--port', '0', '--rate', 'max', '--require-session', '--allowed-origins', 'https://a.example'],
      { env },
    );
    try {
      await server.untilStderr(/warning: SESSION_SECRET is not set/);
      const { url: httpUrl, wsUrl } = server;
      const res = await fetch(`${httpUrl}/session`, {
        method: 'POST',
        headers: { origin: 'https://a.example' },
      });
      const { token } = (await res.json()) as { token: string };
      const refused = new Peer(wsUrl, { origin: 'https://a.example' });
      const [error] = (await once(refused.socket, 'error')) as [Error];
      assert.match(error.message, /401/);
      const client = await welcomed(`${wsUrl}?token=${token}`, { headers: { origin: 'https://a.example' } });
      client.close();
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
