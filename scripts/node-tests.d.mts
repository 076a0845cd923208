export const NODE_TEST_FOLDERS: string[];
export const PAGE_TEST_FOLDERS: string[];
export function testFiles(dir: string): string[];
export function nodeTestFiles(): string[];
export function pageTestFiles(): string[];
