import type { Plugin } from 'vite';

export function restoreRestParameters(code: string): { code: string; count: number };
export function restParametersPlugin(): Plugin;
