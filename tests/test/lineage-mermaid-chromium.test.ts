/**
 * The Mermaid rendering of the lineage graph (`streampulse contracts lineage --format
 * mermaid`) parsed and drawn by Mermaid itself (the `mermaid` package's browser bundle,
 * inlined) in Debian's chromium (/usr/bin/chromium, headless, every request aborted):
 * Mermaid needs a DOM, so it runs where GitHub's Markdown renderer runs it, in a browser.
 * The whole graph of the shipped contracts and one node's graph must parse as a
 * flowchart and draw one shape per lineage node and one path per edge; a broken
 * flowchart must be rejected (the check can fail).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildLineage, loadContractsOrThrow } from '@streampulse/contracts';
import { main } from '@streampulse/cli';

const ROOT = process.cwd();
const CHROMIUM = '/usr/bin/chromium';
const SHIPPED = join(ROOT, 'contracts', 'streampulse');
const GRAPH = buildLineage(loadContractsOrThrow(SHIPPED));

// what the page functions use of the browser's globals (this project compiles without the DOM library)
interface Drawn {
  readonly diagramType: string;
  readonly nodes: number;
  readonly edges: number;
  readonly labels: string[];
}
declare const mermaid: {
  initialize(config: Record<string, unknown>): void;
  parse(text: string): Promise<{ diagramType: string }>;
  render(id: string, text: string): Promise<{ svg: string }>;
};
declare const document: {
  createElement(tag: string): { innerHTML: string; querySelectorAll(s: string): { length: number; [i: number]: { textContent: string | null } } };
  readonly body: { appendChild(e: unknown): void };
};

let browser: Browser;
let page: Page;

async function lineageMermaid(...args: string[]): Promise<string> {
  let out = '';
  const code = await main(['contracts', 'lineage', ...args, '--dir', SHIPPED, '--format', 'mermaid'], {
    cwd: ROOT,
    env: {},
    color: false,
    stdout: (s) => {
      out += s;
    },
    stderr: () => {},
  });
  expect(code).toBe(0);
  return out;
}

/** Parses and draws a flowchart in the page; counts the drawn node shapes and edge paths. */
const draw = (text: string): Promise<Drawn> =>
  page.evaluate(async (t) => {
    const parsed = await mermaid.parse(t);
    const { svg } = await mermaid.render(`g${Math.random().toString(36).slice(2)}`, t);
    const box = document.createElement('div');
    box.innerHTML = svg;
    document.body.appendChild(box);
    const labels = box.querySelectorAll('g.node .nodeLabel');
    return {
      diagramType: parsed.diagramType,
      nodes: box.querySelectorAll('g.node').length,
      edges: box.querySelectorAll('path.flowchart-link').length,
      labels: Array.from({ length: labels.length }, (_, i) => labels[i]!.textContent ?? ''),
    };
  }, text);

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run "STREAMPULSE_TEST_TOOLS=1 bash scripts/setup.sh": it installs Debian's chromium with apt-get`);
  const bundle = readFileSync(createRequire(join(ROOT, 'tests', 'package.json')).resolve('mermaid/dist/mermaid.min.js'), 'utf8');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage();
  await page.route('**/*', (route) => route.abort());
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: bundle });
  await page.evaluate(() => mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', maxEdges: 100_000, maxTextSize: 10_000_000 }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('lineage --format mermaid in Mermaid itself (chromium)', () => {
  it('one node (a mart measure): a flowchart with a shape per node of its closure, labelled with the lineage ids, and a path per edge', async () => {
    const focus = 'mart:analytics_content_portfolio.completion_rate';
    const want = GRAPH.subgraph(focus);
    const drawn = await draw(await lineageMermaid(focus));
    expect(drawn.diagramType).toBe('flowchart-v2');
    expect(drawn.nodes).toBe(want.nodes.length);
    expect(drawn.edges).toBe(want.edges.length);
    expect([...drawn.labels].sort()).toEqual(want.nodes.map((n) => n.id));
  }, 60_000);

  it('the whole graph of the shipped contracts draws every node and edge', async () => {
    const drawn = await draw(await lineageMermaid());
    expect(drawn.diagramType).toBe('flowchart-v2');
    expect(drawn.nodes).toBe(GRAPH.nodes.size);
    expect(drawn.edges).toBe(GRAPH.edges.length);
  }, 120_000);

  it('a broken flowchart is rejected (the check can fail)', async () => {
    await expect(draw('flowchart LR\n  a["x"] -->|expr|\n')).rejects.toThrow(/Parse error|Expecting|error/i);
    await expect(draw('flowchart LR\n  subgraph s["x"]\n    a["y"]\n')).rejects.toThrow();
  }, 60_000);

  it("with Mermaid's default edge limit (500) the whole shipped graph is refused: draw one node's graph, or use DOT", async () => {
    expect(GRAPH.edges.length).toBeGreaterThan(500);
    await page.evaluate(() => mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', maxEdges: 500, maxTextSize: 10_000_000 }));
    await expect(draw(await lineageMermaid())).rejects.toThrow(/edges/i);
  }, 120_000);
});
