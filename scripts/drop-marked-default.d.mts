import type { Plugin } from 'vite';

/** marked's ES module (one minified line) without the default instance and the exports it defines. */
export function withoutDefaultInstance(code: string): string;
export function dropMarkedDefaultInstancePlugin(): Plugin;
