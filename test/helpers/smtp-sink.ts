import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import { startTestGatehouse, type TestGatehouse } from './harness.js';

/** A mail as the test SMTP server received it: envelope recipients, subject and decoded text body. */
export interface ReceivedMail { to: string[]; subject: string; text: string; raw: string }

/** Decodes a quoted-printable body (RFC 2045 §6.7): soft line breaks and =XX octets. */
function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parse(raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
  const encoding = header('Content-Transfer-Encoding')?.toLowerCase();
  const text = encoding === 'quoted-printable' ? decodeQuotedPrintable(body)
    : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  return { to, subject: header('Subject') ?? '', text: text.replace(/\r\n/g, '\n'), raw };
}

/**
 * A real SMTP server on a free loopback port (the `smtp-server` package), keeping every mail it
 * receives. No TLS and no authentication: it only listens on 127.0.0.1 for the test.
 */
export async function startSmtpSink(): Promise<{ url: string; mails: ReceivedMail[]; next(to: string, timeoutMs?: number): Promise<ReceivedMail>; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const waiting: Array<() => void> = [];
  const server = new SMTPServer({
    secure: false, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push(parse(Buffer.concat(chunks).toString('latin1'), session.envelope.rcptTo.map((r) => r.address)));
        for (const wake of waiting.splice(0)) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  const taken = new Set<number>();
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    /** The oldest mail to `to` not yet taken, waiting for it to arrive. */
    async next(to, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = mails.findIndex((m, i) => !taken.has(i) && m.to.includes(to));
        if (index >= 0) {
          taken.add(index);
          return mails[index]!;
        }
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms (received: ${mails.map((m) => m.to.join(',')).join('; ')})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiting.push(() => { clearTimeout(timer); resolve(); });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first Gatehouse link in a mail's text. */
export function linkIn(mail: ReceivedMail): URL {
  const match = /https?:\/\/\S+token=[A-Za-z0-9_-]+/.exec(mail.text);
  if (!match) throw new Error(`no link in the mail:\n${mail.text}`);
  return new URL(match[0]);
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

/**
 * Mocha hooks for a suite whose Gatehouse sends mail: a sink started before it, Gatehouse with
 * SMTP_URL pointing at it, both stopped after. Tests read `gh` and `smtp` from the returned object.
 */
export function gatehouseWithMail(extraEnv: Record<string, string> = {}): { gh: TestGatehouse; smtp: SmtpSink } {
  const state = {} as { gh: TestGatehouse; smtp: SmtpSink };
  before(async function () {
    // A file run alone also makes the embedded database template first (seconds, more on a busy machine).
    this.timeout(120_000);
    state.smtp = await startSmtpSink();
    state.gh = await startTestGatehouse({ SMTP_URL: state.smtp.url, ...extraEnv });
  });
  after(async () => {
    await state.gh?.stop();
    await state.smtp?.close();
  });
  return state;
}
