import type { Plugin } from 'vite';

export function firstNonAscii(
  code: string,
): { index: number; character: string; context: string } | undefined;
export function asciiOnlyPlugin(): Plugin;
