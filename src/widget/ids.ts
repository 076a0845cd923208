/**
 * A random client message id. `crypto.randomUUID` exists only in secure
 * contexts, and the widget may be embedded in a plain-http page, so this
 * uses `getRandomValues`, which exists everywhere.
 */
export function newClientMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `u_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
