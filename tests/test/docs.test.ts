/**
 * The repository's documentation stays self-contained and current: every relative link
 * in the Markdown files resolves (to a file, and to a heading when it names one), no
 * document points outside the repository (`../shared`, DESIGN.md), and every
 * `streampulse` command shown in a code block — or in a heading of cli/README.md — is a
 * command the CLI has, with options it accepts (read from the CLI's own `--help`).
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { main } from '@streampulse/cli';

const ROOT = resolve(process.cwd());
const SKIP = new Set(['node_modules', 'dist', 'out', '.git', '.venv', '.cache', '.pytest_cache', 'jars']);

function markdownFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out.sort();
}
const DOCS = markdownFiles().map((file) => ({ file, rel: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

/** The text outside fenced code blocks (links in code are code). */
const prose = (text: string): string => text.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
const anchors = (text: string): Set<string> => new Set([...prose(text).matchAll(/^#{1,6} +(.+)$/gm)].map((m) => slug(m[1]!)));

describe('the Markdown documents', () => {
  it('are found (a README per package, the root documents)', () => {
    const rels = DOCS.map((d) => d.rel);
    for (const f of ['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md', 'tests/README.md', 'cli/README.md', 'contracts/README.md']) expect(rels).toContain(f);
  });

  it('link only to files and headings that exist in the repository', () => {
    const broken: string[] = [];
    let links = 0;
    for (const d of DOCS)
      for (const m of prose(d.text).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
        const target = m[1]!;
        links++;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? d.file : resolve(dirname(d.file), decodeURIComponent(path));
        if (!file.startsWith(ROOT) || !existsSync(file)) {
          broken.push(`${d.rel}: ${target} (no such file in the repository)`);
          continue;
        }
        if (anchor !== undefined && file.endsWith('.md') && statSync(file).isFile() && !anchors(readFileSync(file, 'utf8')).has(anchor))
          broken.push(`${d.rel}: ${target} (no such heading)`);
      }
    expect(links).toBeGreaterThan(10);
    expect(broken).toStrictEqual([]);
  });

  it('list every file of tests/test/ in tests/README.md', () => {
    const readme = DOCS.find((d) => d.rel === 'tests/README.md')!.text;
    const files = readdirSync(join(ROOT, 'tests', 'test')).filter((f) => f.endsWith('.ts'));
    expect(files.filter((f) => !readme.includes(`test/${f}`))).toStrictEqual([]);
  });

  it('point at nothing outside the repository', () => {
    const outside = DOCS.flatMap((d) =>
      d.text
        .split('\n')
        .map((line, i) => ({ line, at: `${d.rel}:${i + 1}` }))
        .filter(({ line }) => /\.\.\/shared\b|\bDESIGN\.md\b/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(outside).toStrictEqual([]);
  });
});

interface HelpNode {
  readonly commands: Set<string>;
  readonly options: Set<string>;
}
const helpCache = new Map<string, HelpNode>();

/** The subcommands and long options of a command path, from its `--help`. */
async function help(path: readonly string[]): Promise<HelpNode> {
  const key = path.join(' ');
  const cached = helpCache.get(key);
  if (cached) return cached;
  let out = '';
  const code = await main([...path, '--help'], { stdout: (s) => void (out += s), stderr: (s) => void (out += s), color: false, workspaceRoot: ROOT });
  if (code !== 0) throw new Error(`streampulse ${key} --help exited ${code}:\n${out}`);
  const section = (name: string): string[] => {
    const m = new RegExp(`^${name}:\\n((?: {2}.*\\n?|\\n(?= ))*)`, 'm').exec(out);
    return m ? m[1]!.split('\n') : [];
  };
  const node: HelpNode = {
    commands: new Set(section('Commands').flatMap((l) => (/^ {2}([a-z][\w:-]*)/.exec(l)?.[1] ? [/^ {2}([a-z][\w:-]*)/.exec(l)![1]!] : []))),
    options: new Set(section('Options').flatMap((l) => [...l.matchAll(/(?:^|[\s,])(--[a-z][\w-]*)/g)].map((x) => x[1]!))),
  };
  helpCache.set(key, node);
  return node;
}

/**
 * One shown invocation checked against the CLI: the words after `streampulse` name a
 * command (and subcommand) it has; every `--option` is one that command accepts.
 */
async function check(words: readonly string[], prefix: readonly string[] = []): Promise<string | undefined> {
  const path = [...prefix];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i]!;
    const node = await help(path);
    if (node.commands.size === 0 || !/^[a-z][\w:-]*$/.test(w)) break;
    if (!node.commands.has(w)) return `"${w}" is not a command of "streampulse ${path.join(' ')}" (it has: ${[...node.commands].join(', ')})`;
    path.push(w);
  }
  const node = await help(path);
  for (const w of words.slice(i)) {
    const opt = /^(--[a-z][\w-]*)/.exec(w)?.[1];
    if (opt !== undefined && !node.options.has(opt)) return `"${opt}" is not an option of "streampulse ${path.join(' ')}"`;
  }
  return undefined;
}

/** `streampulse …` invocations shown in fenced code blocks (shell lines, `$ ` prompts). */
function shownInvocations(): { at: string; words: string[] }[] {
  const out: { at: string; words: string[] }[] = [];
  for (const d of DOCS) {
    const lines = d.text.split('\n');
    let fence: string | undefined;
    lines.forEach((line, n) => {
      const f = /^```(\w*)/.exec(line);
      if (f) {
        fence = fence === undefined ? f[1]! : undefined;
        return;
      }
      if (fence === undefined || !['bash', 'sh', 'shell', 'console', 'text', ''].includes(fence)) return;
      const m = /(?:^|\s|\$ )(?:pnpm |npx -y pnpm@[\d.]+ )?(?:streampulse|node cli\/dist\/src\/bin\.js) ([^#\n]*)/.exec(line);
      if (!m || line.trimStart().startsWith('#')) return;
      const words = m[1]!.trim().split(/\s+/).filter(Boolean);
      out.push({ at: `${d.rel}:${n + 1}`, words });
    });
  }
  return out;
}

describe('the streampulse commands the documents show', () => {
  it('finds the invocations (the root README shows the day-to-day commands)', () => {
    const shown = shownInvocations();
    expect(shown.filter((s) => s.at.startsWith('README.md:')).length).toBeGreaterThan(10);
  });

  it('exist in the CLI, with the options they are shown with', async () => {
    const wrong: string[] = [];
    for (const s of shownInvocations()) {
      const problem = await check(s.words);
      if (problem !== undefined) wrong.push(`${s.at}: streampulse ${s.words.join(' ')}: ${problem}`);
    }
    expect(wrong).toStrictEqual([]);
  }, 60_000);

  it("exist as cli/README.md's headings name them (alternatives after | replace the last word)", async () => {
    const text = DOCS.find((d) => d.rel === 'cli/README.md')!.text;
    const wrong: string[] = [];
    let headings = 0;
    for (const h of prose(text).matchAll(/^#{2,4} .*$/gm))
      for (const span of h[0].matchAll(/`streampulse ([^`]+)`/g)) {
        headings++;
        const [first, ...more] = span[1]!.split(' | ');
        const firstWords = first!.trim().split(/\s+/);
        const problem = await check(firstWords);
        if (problem !== undefined) wrong.push(`${h[0]}: ${problem}`);
        // "adf generate | validate DIR | run …": each alternative replaces "generate"
        const commandWords = firstWords.filter((w) => /^[a-z][\w:-]*$/.test(w));
        const parent = commandWords.slice(0, -1);
        for (const alt of more) {
          const p = await check(alt.trim().split(/\s+/), parent);
          if (p !== undefined) wrong.push(`${h[0]}: ${p}`);
        }
      }
    expect(headings).toBeGreaterThan(10);
    expect(wrong).toStrictEqual([]);
  }, 60_000);
});
