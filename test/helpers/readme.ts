/** README.md's code, for tests that check it compiles and runs as written. */
import { readFileSync } from 'node:fs';

const readme = new URL('../../README.md', import.meta.url);

/** The fenced code blocks of README.md in `language` (```tsx, ```vue, …), in order. */
export function readmeSnippets(language: string): string[] {
  const text = readFileSync(readme, 'utf8');
  return [...text.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map(
    (m) => m[1] as string,
  );
}
