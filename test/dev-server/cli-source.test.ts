import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { parseCliOptions } from '../../src/dev-server/cli-options.js';
import { answer, FakeUpstream } from './fake-openai.js';
import { isType, TestClient } from './test-client.js';

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
    const bin = new URL('../../dist/server/dev-server/cli.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [bin, '--port', '0', '--source', 'openai', '--model', 'fake-model'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'sk-cli' },
      },
    );
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      while (!/listening on/.test(out)) {
        const [chunk] = (await once(child.stdout, 'data')) as [string];
        out += chunk;
      }
      const wsUrl = out.match(/WebSocket (ws:\/\/\S+)\)/)?.[1];
      assert.ok(wsUrl, out);
      const client = await TestClient.connect(wsUrl);
      client.send({ type: 'hello', v: 1 });
      await client.waitFor(isType('welcome'));
      client.send({ type: 'send', clientMsgId: 'x', text: 'hi' });
      assert.equal((await client.waitFor(isType('done'))).finishReason, 'stop');
      assert.equal(
        client.frames
          .filter(isType('delta'))
          .map((d) => d.text)
          .join(''),
        'from upstream',
      );
      assert.equal(upstream.requests[0]?.headers.authorization, 'Bearer sk-cli');
      assert.equal(upstream.requests[0]?.body.model, 'fake-model');
      client.close();
    } finally {
      child.kill('SIGKILL');
      await upstream.close();
    }
  });
});
