/**
 * The package's typings as apps get them: small React 19 (.tsx), Vue 3
 * (vue-tsc, strictTemplates), SvelteKit (svelte-check) and plain TypeScript
 * projects type-check
 * against the packed tarball, under `strict` and without `skipLibCheck`.
 * Their files are README's framework snippets as written, and code
 * generated from custom-elements.json that uses every property and event the
 * element declares through each typing: a property or event the typings
 * lack fails it. Lines marked `@ts-expect-error` check that the typings are
 * not `any`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PackedConsumer, packedConsumer } from '../helpers/packed.js';
import { readmeSnippets } from '../helpers/readme.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface ManifestElement {
  tagName?: string;
  members: { kind: string; name: string; privacy?: string; static?: boolean; readonly?: boolean }[];
  events: { name: string }[];
}

/** The element as custom-elements.json (built from its JSDoc and decorators) describes it. */
function manifestElement(): { properties: string[]; events: string[] } {
  const manifest = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8'));
  const element = manifest.modules
    .flatMap((m: { declarations: ManifestElement[] }) => m.declarations)
    .find((d: ManifestElement) => d.tagName === 'ai-stream-chat') as ManifestElement;
  const properties = element.members
    .filter((m) => m.kind === 'field' && m.privacy === undefined && !m.static && !m.readonly)
    .map((m) => m.name);
  return { properties, events: element.events.map((e) => e.name) };
}

const STRICT = {
  strict: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'ES2022',
  lib: ['ES2023', 'DOM', 'DOM.Iterable'],
  types: [],
};

/** Runs a type checker; resolves to its diagnostics, or '' when it finds none. */
function typeCheck(checker: string, cwd: string): string {
  try {
    execFileSync(bin(checker), ['-p', 'tsconfig.json'], { cwd, encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return `${stdout}${stderr}` || String(error);
  }
}

describe('typings of the packed package in consumer projects', () => {
  const { properties, events } = manifestElement();

  it('custom-elements.json lists the properties and events these checks go through', () => {
    assert.ok(properties.includes('params') && properties.includes('sessionUrl'), properties.join());
    assert.ok(events.includes('ai-chat-answer-done'), events.join());
  });

  describe('plain TypeScript, with neither React nor Vue installed', () => {
    let consumer: PackedConsumer;
    before(() => {
      consumer = packedConsumer({
        without: ['react', 'react-dom', '@types/react', '@types/react-dom', 'vue', '@vue'],
      });
    });
    after(() => consumer?.remove());

    it('type-checks the element, its events on element, document and window, and the exported types', () => {
      const lines = [
        "import { AiStreamChat, TAG_NAME, type AiStreamChatEventMap, type MessageParams } from 'ai-stream-chat';",
        "import type { AnswerDoneDetail, AnswerStartDetail, ChatErrorDetail, ChatStrings } from 'ai-stream-chat';",
        "import type { ConnectionChangeDetail, MessageSentDetail } from 'ai-stream-chat';",
        "const el: AiStreamChat = document.createElement('ai-stream-chat');",
        'const props: Partial<AiStreamChat> = {};',
        "const params: MessageParams = { temperature: 0.2, maxTokens: 512, model: 'm', system: 's' };",
        'el.params = params;',
        "const strings: Partial<ChatStrings> = { send: 'Senden' };",
        'el.strings = strings;',
        'export const used = [TAG_NAME, props];',
        'type Details = [AnswerDoneDetail, AnswerStartDetail, ChatErrorDetail, ConnectionChangeDetail, MessageSentDetail];',
        'export type { Details };',
        "el.addEventListener('ai-chat-answer-done', (e) => e.detail.text.toUpperCase());",
        "document.addEventListener('ai-chat-answer-done', (e) => e.detail.usage?.completionTokens);",
        "window.addEventListener('ai-chat-connection-change', (e) => e.detail.status);",
        "// @ts-expect-error: the detail's text is a string, so typed events are not `any`",
        "el.addEventListener('ai-chat-answer-done', (e) => { const n: number = e.detail.text; return n; });",
        '// @ts-expect-error: theme is a union of three strings',
        "el.theme = 'purple';",
      ];
      for (const name of properties) lines.push(`el.${name} = el.${name};`);
      for (const name of events) {
        for (const target of ['el', 'document', 'window']) {
          lines.push(
            `${target}.addEventListener('${name}', (e) => { const detail: AiStreamChatEventMap['${name}']['detail'] = e.detail; return detail; });`,
          );
        }
      }
      writeFileSync(join(consumer.dir, 'main.ts'), `${lines.join('\n')}\n`);
      writeFileSync(
        join(consumer.dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext' },
          files: ['main.ts'],
        }),
      );
      writeFileSync(join(consumer.dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      assert.equal(typeCheck('tsc', consumer.dir), '');
    });
  });

  describe('React 19, Vue 3 and Svelte 5', () => {
    let consumer: PackedConsumer;
    before(() => {
      consumer = packedConsumer();
      writeFileSync(join(consumer.dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    });
    after(() => consumer?.remove());

    it("README's React snippets and every property and onai-chat-* handler type-check in .tsx", () => {
      const snippets = readmeSnippets('tsx');
      assert.ok(snippets.length >= 2, 'README has the React and the lazy-load snippet');
      const files = snippets.map((code, i) => {
        writeFileSync(join(consumer.dir, `readme-${i}.tsx`), code);
        return `readme-${i}.tsx`;
      });
      const attributes = [
        ...properties.map((name) => `${name}={el.${name}}`),
        ...events.map(
          (name) =>
            `on${name}={(e) => { const detail: AiStreamChatEventMap['${name}']['detail'] = e.detail; return detail; }}`,
        ),
      ];
      writeFileSync(
        join(consumer.dir, 'every-member.tsx'),
        [
          "import { useRef } from 'react';",
          "import type { AiStreamChat, AiStreamChatEventMap } from 'ai-stream-chat';",
          'export function Every({ el }: { el: AiStreamChat }) {',
          '  const ref = useRef<AiStreamChat>(null);',
          `  return <ai-stream-chat ref={ref} className="chat" ${attributes.join(' ')} />;`,
          '}',
          '// @ts-expect-error: theme is a union of three strings',
          'export const wrongTheme = <ai-stream-chat theme="purple" />;',
          '// @ts-expect-error: params is an object of model parameters',
          'export const wrongParams = <ai-stream-chat params={{ temperature: "hot" }} />;',
          '// @ts-expect-error: a handler gets the typed event',
          'export const wrongHandler = <ai-stream-chat onai-chat-answer-done={(e: CustomEvent<number>) => e} />;',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(consumer.dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler', jsx: 'react-jsx' },
          files: [...files, 'every-member.tsx'],
        }),
      );
      assert.equal(typeCheck('tsc', consumer.dir), '');
    });

    it("README's SvelteKit snippet type-checks with svelte-check", () => {
      const snippets = readmeSnippets('svelte');
      assert.equal(snippets.length, 1, 'README has one SvelteKit snippet');
      writeFileSync(join(consumer.dir, 'Page.svelte'), snippets[0] as string);
      writeFileSync(
        join(consumer.dir, 'Types.svelte'),
        [
          '<script lang="ts">',
          "  import type { AnswerDoneDetail } from 'ai-stream-chat';",
          '  // @ts-expect-error: finishReason is a union of five strings',
          "  const reason: AnswerDoneDetail['finishReason'] = 'maybe';",
          '</script>',
          '<p>{reason}</p>',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(consumer.dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler' },
          include: ['Page.svelte', 'Types.svelte'],
        }),
      );
      let diagnostics = '';
      try {
        execFileSync(
          bin('svelte-check'),
          [
            '--workspace',
            consumer.dir,
            '--tsconfig',
            'tsconfig.json',
            '--fail-on-warnings',
            '--output',
            'human',
          ],
          { cwd: consumer.dir, encoding: 'utf8', stdio: 'pipe' },
        );
      } catch (error) {
        const { stdout, stderr } = error as { stdout: string; stderr: string };
        diagnostics = `${stdout}${stderr}` || String(error);
      }
      assert.equal(diagnostics, '');
    });

    it("README's Vue snippet and every property and event type-check with vue-tsc and strictTemplates", () => {
      const snippets = readmeSnippets('vue');
      assert.equal(snippets.length, 1, 'README has one Vue snippet');
      writeFileSync(join(consumer.dir, 'Readme.vue'), snippets[0] as string);
      const attributes = [
        ...properties.map((name) => `:${name}="el.${name}"`),
        ...events.map((name) => `@${name}="(e: AiStreamChatEventMap['${name}']) => e.detail"`),
      ];
      writeFileSync(
        join(consumer.dir, 'Every.vue'),
        [
          '<script setup lang="ts">',
          "import type { AiStreamChat, AiStreamChatEventMap } from 'ai-stream-chat';",
          'defineProps<{ el: AiStreamChat }>();',
          '</script>',
          '<template>',
          `  <ai-stream-chat ${attributes.join(' ')} />`,
          '  <!-- @vue-expect-error: theme is a union of three strings -->',
          '  <ai-stream-chat theme="purple" />',
          '  <!-- @vue-expect-error: the element has no such property -->',
          '  <ai-stream-chat :no-such-property="1" />',
          '</template>',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(consumer.dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler', jsx: 'preserve' },
          vueCompilerOptions: { strictTemplates: true },
          include: ['Readme.vue', 'Every.vue'],
        }),
      );
      assert.equal(typeCheck('vue-tsc', consumer.dir), '');
    });
  });
});
