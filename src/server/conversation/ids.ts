import { randomUUID } from 'node:crypto';

/** A random, unguessable id with a short prefix saying what it names. */
export function newId(prefix: 'c' | 'm' | 's'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}
