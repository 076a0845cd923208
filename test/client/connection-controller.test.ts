/** ConnectionController on its own: what it needs from its environment. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionController } from '../../src/widget/controllers/connection-controller.js';

describe('ConnectionController', () => {
  it('without a WebSocket implementation, open() says how to pass one instead of failing later', () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    global.WebSocket = undefined;
    try {
      const statuses: string[] = [];
      const connection = new ConnectionController(undefined, {
        url: () => 'ws://127.0.0.1:9/ws',
        conversationId: () => undefined,
        resumePoints: () => [],
        onFrame: () => {},
        onStatus: (status) => statuses.push(status),
        onProtocolError: () => {},
      });
      assert.throws(() => connection.open(), /No WebSocket implementation: .*options\.WebSocket/);
      assert.deepEqual(statuses, [], 'it never claimed to be connecting');
    } finally {
      global.WebSocket = saved;
    }
  });
});
