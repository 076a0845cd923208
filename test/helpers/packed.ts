/**
 * A consumer project around the packed tarball, offline: `npm pack` of the
 * built repository, unpacked as node_modules/ai-stream-chat of a temporary
 * directory, next to links to the repository's installed packages (React,
 * Vue, TypeScript, lit…), so type checkers and bundlers resolve the package
 * as an app that installed it would.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface PackedConsumer {
  dir: string;
  remove(): void;
}

/** Packs the repository (run `npm run build` first) and unpacks it into a new consumer directory. */
export function packedConsumer(options: { without?: readonly string[] } = {}): PackedConsumer {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stream-chat-consumer-'));
  const tarball = execFileSync(npm, ['pack', '--silent', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1) as string;
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
  renameSync(join(dir, 'package'), join(modules, 'ai-stream-chat'));
  linkInstalledPackages(modules, new Set(options.without ?? []));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Links every package installed in the repository into `modules`, but those named in `without`. */
function linkInstalledPackages(modules: string, without: ReadonlySet<string>): void {
  const installed = join(root, 'node_modules');
  for (const entry of readdirSync(installed)) {
    if (entry.startsWith('.') || entry === 'ai-stream-chat') continue;
    if (entry.startsWith('@')) {
      mkdirSync(join(modules, entry), { recursive: true });
      for (const scoped of readdirSync(join(installed, entry))) {
        if (!without.has(`${entry}/${scoped}`) && !without.has(entry))
          symlinkSync(join(installed, entry, scoped), join(modules, entry, scoped));
      }
    } else if (!without.has(entry)) {
      symlinkSync(join(installed, entry), join(modules, entry));
    }
  }
}
