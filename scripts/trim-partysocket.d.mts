import type { Plugin } from 'vite';

/** partysocket's ws module without its debug calls and with its long messages shortened. */
export function trimPartySocket(code: string): string;
export function trimPartySocketPlugin(): Plugin;
