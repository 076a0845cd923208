import type { Plugin } from 'vite';

export function templateEdits(source: string): { start: number; end: number; text: string }[];
export function minifyTemplates(source: string): string;
export function minifyTemplatesPlugin(): Plugin;
