import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkSessionSecret,
  createSessionToken,
  verifySessionToken,
} from '../../src/server/auth/session-token.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const NOW = 1_700_000_000_000;

describe('session tokens', () => {
  const token = createSessionToken({ conversationId: 'c_abc', expiresAt: NOW + 60_000 }, SECRET);

  it('verifies a token it made, giving back its claims', () => {
    assert.deepEqual(verifySessionToken(token, SECRET, NOW), {
      ok: true,
      claims: { conversationId: 'c_abc', expiresAt: NOW + 60_000 },
    });
  });

  it('refuses a missing token', () => {
    for (const missing of [undefined, null, '']) {
      assert.deepEqual(verifySessionToken(missing, SECRET, NOW), { ok: false, reason: 'missing' });
    }
  });

  it('refuses a malformed token', () => {
    for (const bad of ['abc', 'a.b.c', 'a b.c', `${token}.x`, '.x', 'x.']) {
      assert.deepEqual(verifySessionToken(bad, SECRET, NOW), { ok: false, reason: 'malformed' }, bad);
    }
  });

  it('refuses a token signed with another secret, or with a changed payload', () => {
    const other = createSessionToken({ conversationId: 'c_abc', expiresAt: NOW + 60_000 }, `${SECRET}!`);
    assert.deepEqual(verifySessionToken(other, SECRET, NOW), { ok: false, reason: 'bad-signature' });
    const [, signature] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ c: 'c_victim', e: NOW + 60_000 })).toString('base64url')}.${signature}`;
    assert.deepEqual(verifySessionToken(forged, SECRET, NOW), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(verifySessionToken(`${token.split('.')[0]}.AAAA`, SECRET, NOW), {
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses an expired token, unless asked to ignore expiry', () => {
    assert.deepEqual(verifySessionToken(token, SECRET, NOW + 60_000), { ok: false, reason: 'expired' });
    assert.equal(verifySessionToken(token, SECRET, NOW + 60_000, { ignoreExpiry: true }).ok, true);
  });

  it('refuses short secrets', () => {
    assert.throws(() => checkSessionSecret('short'), /at least 32 bytes/);
    assert.throws(() => checkSessionSecret(42), /string or a Buffer/);
    assert.equal(checkSessionSecret(SECRET), SECRET);
  });
});
