#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runConformance } from './checks.js';

const usage = `Usage: npm run conformance -- <ws-url> [--session-url <url>] [--timeout-ms <n>] [--parts]

Runs PROTOCOL.md's rules against a server and prints a pass/fail list.
--parts: the server's answers carry reasoning, tool steps and sources
(the dev server with --mock-parts); the parts checks then require them.
Exits 0 when every check passes, 1 otherwise, 2 on bad arguments.
`;

async function main(): Promise<void> {
  let url: string;
  let sessionUrl: string | undefined;
  let timeoutMs: number;
  let parts: boolean;
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: {
        'session-url': { type: 'string' },
        'timeout-ms': { type: 'string', default: '15000' },
        parts: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1) throw new Error('give exactly one WebSocket URL');
    url = positionals[0] as string;
    if (!/^wss?:\/\//.test(url)) throw new Error(`not a ws:// or wss:// URL: ${url}`);
    sessionUrl = values['session-url'];
    parts = values.parts === true;
    timeoutMs = Number(values['timeout-ms']);
    if (!(timeoutMs > 0)) throw new Error('--timeout-ms must be a positive number');
  } catch (error) {
    process.stderr.write(
      `conformance: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`,
    );
    process.exit(2);
  }
  const results = await runConformance({ url, timeoutMs, parts, ...(sessionUrl ? { sessionUrl } : {}) });
  for (const r of results) {
    process.stdout.write(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}${r.detail ? `\n      ${r.detail}` : ''}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`\n${results.length - failed} of ${results.length} checks passed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
