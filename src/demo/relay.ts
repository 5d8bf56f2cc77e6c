import { createServer, Socket, type Server } from 'node:net';

/** Bytes that crossed a relay, by direction. */
export interface WireCapture {
  readonly clientToServer: Buffer;
  readonly serverToClient: Buffer;
  /** True when the capture limit was reached and later bytes were not recorded. */
  readonly truncated: boolean;
}

/** A TCP relay on loopback that forwards to a target port and records every byte. */
export interface RecordingRelay {
  readonly port: number;
  capture(): WireCapture;
  close(): Promise<void>;
}

const DEFAULT_LIMIT_BYTES = 256 * 1024 * 1024;

/**
 * Starts a relay on 127.0.0.1 with a free port that forwards each connection to
 * 127.0.0.1:`targetPort` and keeps a copy of the bytes in both directions, as a network tap
 * between client and server would see them.
 */
export async function startRecordingRelay(
  targetPort: number,
  limitBytes = DEFAULT_LIMIT_BYTES,
): Promise<RecordingRelay> {
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const sockets = new Set<Socket>();
  let recorded = 0;
  let truncated = false;

  const record = (list: Buffer[], chunk: Buffer) => {
    if (recorded + chunk.length > limitBytes) {
      truncated = true;
      return;
    }
    recorded += chunk.length;
    list.push(Buffer.from(chunk));
  };

  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    // The client socket stays paused until the upstream connection exists, so no byte is lost.
    upstream.connect(targetPort, '127.0.0.1', () => {
      client.on('data', (chunk: Buffer) => record(toServer, chunk));
      upstream.on('data', (chunk: Buffer) => record(toClient, chunk));
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    port,
    capture: () => ({
      clientToServer: Buffer.concat(toServer),
      serverToClient: Buffer.concat(toClient),
      truncated,
    }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
