import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring session tokens: `base64url(JSON claims) "." base64url(HMAC-SHA256)`.
 * A token names the one conversation it opens and when it stops working.
 * Stateless: any server that knows the secret can check one.
 */
export interface SessionClaims {
  conversationId: string;
  /** Milliseconds since the epoch after which the token is refused. */
  expiresAt: number;
}

export type TokenFailure = 'missing' | 'malformed' | 'bad-signature' | 'expired';

export type VerifyResult = { ok: true; claims: SessionClaims } | { ok: false; reason: TokenFailure };

/** Shortest secret accepted, in bytes: an HMAC-SHA256 key shorter than its output is weaker. */
export const MIN_SECRET_BYTES = 32;

export type SessionSecret = string | Buffer;

/** Throws a TypeError unless `secret` is long enough to sign tokens with. */
export function checkSessionSecret(secret: unknown, name = 'secret'): SessionSecret {
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new TypeError(`${name} must be a string or a Buffer`);
  }
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new TypeError(`${name} must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  return secret;
}

/** A random secret for one server run (tokens die with the process). */
export function randomSessionSecret(): Buffer {
  return randomBytes(MIN_SECRET_BYTES);
}

function sign(payload: string, secret: SessionSecret): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function createSessionToken(claims: SessionClaims, secret: SessionSecret): string {
  const payload = Buffer.from(
    JSON.stringify({ c: claims.conversationId, e: claims.expiresAt }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${sign(payload, secret).toString('base64url')}`;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a token's signature (in constant time) and expiry. With
 * `ignoreExpiry`, an expired but genuine token still passes: POST /session
 * uses that to renew a token for the same conversation.
 */
export function verifySessionToken(
  token: string | null | undefined,
  secret: SessionSecret,
  now: number = Date.now(),
  { ignoreExpiry = false } = {},
): VerifyResult {
  if (token === undefined || token === null || token === '') return { ok: false, reason: 'missing' };
  const parts = token.split('.');
  const [payload, signature] = parts;
  if (
    parts.length !== 2 ||
    payload === undefined ||
    signature === undefined ||
    !BASE64URL.test(payload) ||
    !BASE64URL.test(signature) ||
    token.length > 4096
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = sign(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  let claims: { c?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims?.c !== 'string' || typeof claims.e !== 'number' || !Number.isFinite(claims.e)) {
    return { ok: false, reason: 'malformed' };
  }
  if (!ignoreExpiry && now >= claims.e) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { conversationId: claims.c, expiresAt: claims.e } };
}
