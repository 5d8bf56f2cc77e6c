import { createServer, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifyServerFile } from '../../src/demo/places.js';
import { startRecordingRelay } from '../../src/demo/relay.js';

async function startEchoServer() {
  const server = createServer((socket) => {
    socket.write('greeting:');
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

describe('startRecordingRelay', () => {
  it('forwards and records both directions', async () => {
    const echo = await startEchoServer();
    const relay = await startRecordingRelay(echo.port);
    const socket = new Socket();
    const received: Buffer[] = [];
    await new Promise<void>((resolve) => socket.connect(relay.port, '127.0.0.1', resolve));
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('Margarethe Vinterberg');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();

    const capture = relay.capture();
    expect(Buffer.concat(received).toString()).toBe('greeting:Margarethe Vinterberg');
    expect(capture.clientToServer.toString()).toBe('Margarethe Vinterberg');
    expect(capture.serverToClient.toString()).toBe('greeting:Margarethe Vinterberg');
    expect(capture.truncated).toBe(false);
    await relay.close();
    echo.server.close();
  });

  it('stops recording at its limit', async () => {
    const echo = await startEchoServer();
    const relay = await startRecordingRelay(echo.port, 16);
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(relay.port, '127.0.0.1', resolve));
    socket.write('x'.repeat(64));
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    const capture = relay.capture();
    expect(capture.truncated).toBe(true);
    expect(capture.clientToServer.length + capture.serverToClient.length).toBeLessThanOrEqual(16);
    await relay.close();
    echo.server.close();
  });
});

describe('classifyServerFile', () => {
  it.each([
    ['/s/data/ibdata1', false, 'system-undo'],
    ['/s/data/undo002', false, 'system-undo'],
    ['/s/data/ib_logfile0', false, 'redo'],
    ['/s/data/ibtmp1', false, 'temporary'],
    ['/s/data/Customers/Individuals.ibd', false, 'tables'],
    ['/s/data/Customers/StatementCache.MAD', false, 'tables'],
    ['/s/data/Customers/Individuals.frm', false, 'metadata'],
    ['/s/data/Customers/db.opt', false, 'metadata'],
    ['/s/data/aria_log.00000001', false, 'aria-log'],
    ['/s/binlog/binlog.000002', false, 'binlog'],
    ['/s/log/error.log', false, 'logs'],
    ['/s/tmp/fd12-MLfd=42', true, 'temporary'],
    ['/s/data/ib_buffer_pool', false, 'other'],
  ] as const)('classifies %s', (path, temporary, expected) => {
    expect(classifyServerFile(path, temporary)).toBe(expected);
  });
});
