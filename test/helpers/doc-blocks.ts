import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../../src/config/paths.js';

/** A fenced code block of README.md or docs/*.md, dedented as far as its fence (blocks in list items). */
export interface DocBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** How the test tables name it: the file and the block's first line, which survive edits elsewhere in the file. */
  key: string;
}

export const DOC_FILES = ['README.md', ...readdirSync(join(packageRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

export function docBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of DOC_FILES) {
    const text = readFileSync(join(packageRoot, file), 'utf8');
    for (const match of text.matchAll(/^( *)```(\w*)\n([\s\S]*?)^\1```$/gm)) {
      const indent = match[1]!.length;
      const code = match[3]!.split('\n').map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n');
      const line = text.slice(0, match.index).split('\n').length;
      const key = `${file}: ${code.split('\n')[0]!.trim()}`;
      // Blocks that start alike (two recipes both setting ISSUER first) are told apart by their order.
      const same = blocks.filter((b) => b.key === key || b.key.startsWith(`${key} #`)).length;
      blocks.push({ file, line, lang: match[2]!, code, key: same ? `${key} #${same + 1}` : key });
    }
  }
  return blocks;
}

/** The block `key` names (exactly one). */
export function docBlock(key: string): DocBlock {
  const found = docBlocks().filter((b) => b.key === key);
  if (found.length !== 1) throw new Error(`${found.length} blocks named ${key}`);
  return found[0]!;
}

/** Whether `block` is, line for line after removing common indentation, a run of consecutive lines of `source`. */
export function isExcerptOf(block: string, source: string): boolean {
  const wanted = dedent(block.replace(/\n+$/, '').split('\n'));
  const lines = source.split('\n');
  for (let start = 0; start + wanted.length <= lines.length; start += 1) {
    const window = dedent(lines.slice(start, start + wanted.length));
    if (window.every((l, i) => l === wanted[i])) return true;
  }
  return false;
}

function dedent(lines: string[]): string[] {
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(Math.min(indent, l.length)).trimEnd());
}
