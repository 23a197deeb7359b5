/**
 * The deploy step's control files: the bundle summary's job ids and the control files,
 * and their upload through the real @azure/storage-file-datalake client against a
 * 127.0.0.1 server that answers the documented ADLS Gen2 (DFS) REST contract — Path
 * Create (PUT ?resource=file), Path Update append/flush (PATCH ?action=append|flush),
 * Get Properties (HEAD). Azure Storage cannot run here (and Azurite has no DFS endpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AnonymousCredential, DataLakeServiceClient } from '@azure/storage-file-datalake';
import { type StreamPulseError, findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { compileJobs, DATABRICKS_DAILY_JOB, DATABRICKS_JOB_IDS_FILE, DATABRICKS_STEP_JOB } from '@streampulse/jobs';
import { controlManifest, factoryFileText, NAMES } from '@streampulse/pipelines';
import { controlFiles, entraFileSystem, jobIdsFromBundleSummary, uploadControlFiles } from '../src/control-files.js';

/** The shape `databricks bundle summary --output json` prints after a deploy (resources.jobs.<key> with id, name, url). */
const summary = (jobs: Record<string, { name: string; id?: string }>): string =>
  JSON.stringify({
    bundle: { name: 'streampulse', target: 'dev' },
    resources: {
      jobs: Object.fromEntries(
        Object.entries(jobs).map(([k, j]) => [k, { ...j, url: j.id === undefined ? undefined : `https://adb-1.2.azuredatabricks.net/jobs/${j.id}` }]),
      ),
    },
  });
const DEPLOYED = summary({
  streampulse_step: { name: DATABRICKS_STEP_JOB, id: '1122334455' },
  streampulse_daily: { name: DATABRICKS_DAILY_JOB, id: '998877' },
});

describe('the bundle summary (documented `databricks bundle summary -o json` shape)', () => {
  it('maps job names to ids', () => {
    expect(jobIdsFromBundleSummary(DEPLOYED, 's.json')).toEqual({ [DATABRICKS_DAILY_JOB]: '998877', [DATABRICKS_STEP_JOB]: '1122334455' });
  });
  it('a summary taken before the deploy (no ids), a bundle without the step job, and no JSON are errors with a fix', () => {
    const err = (text: string): StreamPulseError => {
      try {
        jobIdsFromBundleSummary(text, 's.json');
      } catch (e) {
        return e as StreamPulseError;
      }
      throw new Error('expected an error');
    };
    expect(err(summary({ streampulse_step: { name: DATABRICKS_STEP_JOB }, streampulse_daily: { name: DATABRICKS_DAILY_JOB, id: '1' } }))).toMatchObject({
      code: 'DEPLOY_BUNDLE_NOT_DEPLOYED',
      remedy: expect.stringContaining('databricks bundle deploy'),
    });
    expect(err(summary({ streampulse_daily: { name: DATABRICKS_DAILY_JOB, id: '1' } }))).toMatchObject({
      code: 'DEPLOY_BUNDLE_JOBS_MISSING',
      message: expect.stringContaining(`'${DATABRICKS_STEP_JOB}'`),
    });
    expect(err('{')).toMatchObject({ code: 'DEPLOY_BUNDLE_SUMMARY' });
  });
});

describe('upload through the DFS REST contract (127.0.0.1 server; no Azure here)', () => {
  interface Req {
    method: string;
    path: string;
    query: URLSearchParams;
    headers: IncomingMessage['headers'];
    body: Buffer;
  }
  const requests: Req[] = [];
  const stored = new Map<string, Buffer>();
  let forbid = false;
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const r: Req = {
          method: req.method ?? '',
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        requests.push(r);
        const common = { 'x-ms-request-id': `req-${requests.length}`, 'x-ms-version': '2025-01-05' };
        if (forbid) {
          res.writeHead(403, { ...common, 'x-ms-error-code': 'AuthorizationPermissionMismatch', 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: { code: 'AuthorizationPermissionMismatch', message: 'This request is not authorized to perform this operation using this permission.' },
            }),
          );
          return;
        }
        const action = r.query.get('action');
        if (r.method === 'PUT' && r.query.get('resource') === 'file') {
          stored.set(r.path, Buffer.alloc(0));
          res.writeHead(201, { ...common, etag: '"0x1"', 'last-modified': new Date(0).toUTCString(), 'content-length': '0' });
        } else if (r.method === 'PATCH' && action === 'append') {
          stored.set(r.path, Buffer.concat([stored.get(r.path) ?? Buffer.alloc(0), r.body]));
          res.writeHead(202, { ...common, 'content-length': '0' });
        } else if (r.method === 'PATCH' && action === 'flush') {
          res.writeHead(200, { ...common, etag: '"0x2"', 'last-modified': new Date(0).toUTCString(), 'content-length': '0' });
        } else if (r.method === 'HEAD') {
          const b = stored.get(r.path);
          res.writeHead(b === undefined ? 404 : 200, { ...common, 'content-length': String(b?.length ?? 0), 'x-ms-resource-type': 'file' });
        } else res.writeHead(400, common);
        res.end();
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stspulselakedev`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const set = loadContractsOrThrow(join(findWorkspaceRoot(process.cwd())!, STREAMPULSE_CONTRACTS_DIR));
  const files = controlFiles(set, compileJobs(set), { [DATABRICKS_STEP_JOB]: '1122334455' });

  it('creates, appends and flushes each control file, with no shared-key signature, and reads its length back', async () => {
    const fs = new DataLakeServiceClient(base, new AnonymousCredential()).getFileSystemClient(NAMES.fsControl);
    const done = await uploadControlFiles(fs, files, 'control');
    expect(done.map((d) => d.file)).toEqual([NAMES.manifestFile, DATABRICKS_JOB_IDS_FILE]);
    expect(stored.get(`/stspulselakedev/control/${NAMES.manifestFile}`)?.toString('utf8')).toBe(factoryFileText(controlManifest(set, compileJobs(set))));
    expect(JSON.parse(stored.get(`/stspulselakedev/control/${DATABRICKS_JOB_IDS_FILE}`)!.toString('utf8'))).toEqual({
      jobs: { [DATABRICKS_STEP_JOB]: '1122334455' },
    });
    const kinds = requests.map((r) => `${r.method} ${r.query.get('resource') ?? r.query.get('action') ?? ''}`.trim());
    expect(kinds).toEqual(['PUT file', 'PATCH append', 'PATCH flush', 'HEAD', 'PUT file', 'PATCH append', 'PATCH flush', 'HEAD']);
    for (const r of requests) expect(String(r.headers['authorization'] ?? '')).not.toMatch(/^SharedKey/);
  });

  it('a 403 names the role and the network path the deployment identity needs', async () => {
    forbid = true;
    const fs = new DataLakeServiceClient(base, new AnonymousCredential()).getFileSystemClient(NAMES.fsControl);
    await expect(uploadControlFiles(fs, files, 'control')).rejects.toMatchObject({
      code: 'DEPLOY_CONTROL_UPLOAD',
      message: expect.stringContaining('HTTP 403'),
      remedy: expect.stringContaining('Storage Blob Data Contributor'),
    });
    forbid = false;
  });
});

describe('the production client', () => {
  it("addresses the lake's DFS endpoint with an Entra credential, never a shared key", async () => {
    const fs = (await entraFileSystem('stspulselakedev', 'control')) as unknown as { url: string; credential: { constructor: { name: string } } };
    expect(fs.url).toBe('https://stspulselakedev.dfs.core.windows.net/control');
    expect(fs.credential.constructor.name).toBe('DefaultAzureCredential');
  });
});
