import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a real server, so a test can make Postgres or Redis
 * unreachable for one Gatehouse (and bring it back) without touching the shared server.
 */
export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones (a restart's connection refused/reset). */
  cut(): void;
  /**
   * Drops every connection and answers new ones as a Postgres that is starting up does:
   * FATAL 57P03 "the database system is starting up" (what clients meet right after a restart).
   */
  startingUp(): void;
  /** Keeps connections open but forwards nothing either way (a network partition: timeouts). */
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

type Mode = 'open' | 'cut' | 'starting' | 'stalled';

/** A Postgres ErrorResponse ('E') with severity, SQLSTATE and message. */
function postgresError(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[['S', 'FATAL'], ['V', 'FATAL'], ['C', code], ['M', message]].map(([type, value]) => Buffer.from(`${type}${value}\0`)),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: Mode = 'open';
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    track(client);
    if (mode === 'starting') {
      // Answer the startup message (or an SSL request) with the error, as Postgres does.
      client.once('data', () => client.end(postgresError('57P03', 'the database system is starting up')));
      return;
    }
    if (mode === 'stalled') return;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    track(upstream);
    client.on('data', (chunk) => { if (mode !== 'stalled') upstream.write(chunk); });
    upstream.on('data', (chunk) => { if (mode !== 'stalled') client.write(chunk); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      mode = 'cut';
      dropAll();
    },
    startingUp() {
      mode = 'starting';
      dropAll();
    },
    stall() {
      mode = 'stalled';
    },
    restore() {
      // Bytes dropped while stalled broke those streams: their clients must reconnect.
      if (mode === 'stalled') dropAll();
      mode = 'open';
    },
    close: () => new Promise((resolve) => {
      dropAll();
      server.close(() => resolve());
    }),
  };
}
