import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CASES } from '../helpers/attest.js';
import { runCli } from '../helpers/cli.js';
import { tdxFixture } from '../helpers/fixtures.js';
import { F1_PATHS, f1PckCrlHeaders, startPccs, type TestPccs } from '../helpers/pccs.js';

const F1 = FIXTURE_CASES.F1;
let workDir: string;

const fetchArgs = (url: string, cache: string, extra: string[] = []) => [
  'quote',
  'collateral',
  'fetch',
  tdxFixture(F1.quote),
  '--pccs',
  url,
  '--cache',
  cache,
  ...extra,
];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'mariadb-tdx-fetch-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('quote collateral fetch against a misbehaving service', () => {
  let pccs: TestPccs;
  let sentBytes = 0;

  beforeAll(async () => {
    const crlHeaders = await f1PckCrlHeaders();
    pccs = await startPccs({
      // Streams without end until the client hangs up.
      '/huge/tdx/certification/v4/tcb?fmspc=B0C06F000000': (_request, response) => {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!response.destroyed && response.write(chunk)) sentBytes += chunk.length;
          if (!response.destroyed) response.once('drain', pump);
        };
        pump();
      },
      // Headers at once, then one byte every half second.
      '/slow/tdx/certification/v4/tcb?fmspc=B0C06F000000': (_request, response) => {
        response.writeHead(200);
        const timer = setInterval(() => response.write(' '), 500);
        response.on('close', () => clearInterval(timer));
      },
      '/garbage/tdx/certification/v4/tcb?fmspc=B0C06F000000': (_request, response) => {
        response.writeHead(302, { location: `${pccs.url}${F1_PATHS.tcbInfo}` }).end();
      },
      '/garbage/tdx/certification/v4/qe/identity': (_request, response) => {
        response.writeHead(302, { location: `${pccs.url}${F1_PATHS.qeIdentity}` }).end();
      },
      '/garbage/sgx/certification/v4/rootcacrl': (_request, response) => {
        response.writeHead(302, { location: `${pccs.url}${F1_PATHS.rootCrl}` }).end();
      },
      '/garbage/sgx/certification/v4/pckcrl?ca=platform&encoding=der': (_request, response) => {
        response.writeHead(200, crlHeaders).end('this is not a CRL');
      },
    });
  });
  afterAll(async () => {
    await pccs?.close();
  });

  it('stops reading a body past the size limit', async () => {
    const result = await runCli(fetchArgs(`${pccs.url}/huge`, join(workDir, 'huge'), ['--json']));
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.code).toBe('COLLATERAL_FETCH_FAILED');
    expect(error.message).toContain('/huge/tdx/certification/v4/tcb');
    expect(error.message).toContain('4194304 bytes');
    // The client hung up soon after the limit instead of buffering the stream.
    expect(sentBytes).toBeLessThan(64 * 1024 * 1024);
  });

  it('times out a body that trickles in', async () => {
    const started = Date.now();
    const args = fetchArgs(`${pccs.url}/slow`, join(workDir, 'slow'), ['--timeout', '1', '--json']);
    const result = await runCli(args);
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.code).toBe('COLLATERAL_FETCH_FAILED');
    expect(error.message).toContain('1 s timeout');
    expect(error.hint).toContain('--timeout');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('names a refused connection', async () => {
    const port = await closedPort();
    const result = await runCli(fetchArgs(`http://127.0.0.1:${port}`, join(workDir, 'refused')));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('COLLATERAL_FETCH_FAILED');
    expect(result.stderr).toContain('connection refused');
  });

  it('names the path that served a malformed CRL', async () => {
    const result = await runCli(
      fetchArgs(`${pccs.url}/garbage`, join(workDir, 'garbage'), ['--json']),
    );
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.code).toBe('COLLATERAL_INVALID');
    expect(error.message).toContain('/garbage/sgx/certification/v4/pckcrl');
    expect(error.hint).toContain('PCCS or Intel PCS');
  });

  it('refuses an evaluation data number other than the requested one', async () => {
    const cache = join(workDir, 'number');
    const args = fetchArgs(pccs.url, cache, ['--tcb-evaluation-data-number', '18', '--json']);
    const result = await runCli(args);
    expect(result.status).toBe(2);
    const { error } = JSON.parse(result.stdout);
    expect(error.code).toBe('COLLATERAL_FETCH_FAILED');
    expect(error.message).toContain('evaluation data number 17, not the requested 18');
    expect(await readdir(cache).catch(() => [])).toEqual([]);
  });
});

describe('quote collateral fetch with a cached bundle', () => {
  let pccs: TestPccs;
  let cache: string;
  let cachedPath: string;
  let newer: string;

  beforeAll(async () => {
    pccs = await startPccs();
    cache = join(workDir, 'cache');
    await mkdir(cache);
    cachedPath = join(cache, 'tdx-b0c06f000000-platform.json');
    // The same bundle with a later TCB evaluation data number, as a later fetch would store.
    const bundle = JSON.parse(await readFile(tdxFixture(F1.collateral[0]!), 'utf8'));
    bundle.tcb_info = bundle.tcb_info.replace(
      '"tcbEvaluationDataNumber":17',
      '"tcbEvaluationDataNumber":18',
    );
    expect(bundle.tcb_info).toContain('"tcbEvaluationDataNumber":18');
    newer = JSON.stringify(bundle);
    await writeFile(cachedPath, newer);
  });
  afterAll(async () => {
    await pccs?.close();
  });

  it('keeps a newer cached bundle', async () => {
    const result = await runCli(fetchArgs(pccs.url, cache, ['--json']));
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout).error.code).toBe('COLLATERAL_DOWNGRADE');
    expect(await readFile(cachedPath, 'utf8')).toBe(newer);
  });

  it('replaces it when allowed', async () => {
    const result = await runCli(fetchArgs(pccs.url, cache, ['--allow-downgrade', '-q']));
    expect(result.status).toBe(0);
    const stored = JSON.parse(await readFile(cachedPath, 'utf8'));
    expect(stored.tcb_info).toContain('"tcbEvaluationDataNumber":17');
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
