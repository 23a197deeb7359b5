/**
 * The smallest "SQL Server" a login can be refused by, on 127.0.0.1: it answers the
 * TDS PRELOGIN (no encryption), then answers LOGIN7 with ERROR 18456 ("Login failed
 * for user …") and DONE, as SQL Server does for a wrong password. Enough for the mssql
 * driver to report a refused login; nothing else is implemented.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';

/** A TDS packet: type, status EOM, length, spid 0, packet id 1, window 0. */
function packet(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(type, 0);
  h.writeUInt8(1, 1);
  h.writeUInt16BE(8 + payload.length, 2);
  h.writeUInt8(1, 6);
  return Buffer.concat([h, payload]);
}
const ucs2 = (s: string): Buffer => Buffer.from(s, 'utf16le');

function preloginResponse(): Buffer {
  // options VERSION and ENCRYPTION (= NOT_SUP), a terminator, then their data
  const opts = [
    [0x00, Buffer.from([15, 0, 0x07, 0xd0, 0, 0])],
    [0x01, Buffer.from([0x02])],
  ] as const;
  const table: Buffer[] = [];
  const data: Buffer[] = [];
  let offset = opts.length * 5 + 1;
  for (const [token, value] of opts) {
    const t = Buffer.alloc(5);
    t.writeUInt8(token, 0);
    t.writeUInt16BE(offset, 1);
    t.writeUInt16BE(value.length, 3);
    table.push(t);
    data.push(value);
    offset += value.length;
  }
  return packet(0x04, Buffer.concat([...table, Buffer.from([0xff]), ...data]));
}

function loginRefused(user: string): Buffer {
  const msg = `Login failed for user '${user}'.`;
  const body = Buffer.concat([
    Buffer.from([0x18, 0x48, 0, 0]), // error number 18456, little-endian
    Buffer.from([1, 14]), // state, class
    Buffer.from([msg.length & 0xff, msg.length >> 8]),
    ucs2(msg),
    Buffer.from([4]),
    ucs2('fake'), // server name
    Buffer.from([0]), // procedure name
    Buffer.from([1, 0, 0, 0]), // line number
  ]);
  const error = Buffer.concat([Buffer.from([0xaa, body.length & 0xff, body.length >> 8]), body]);
  const done = Buffer.from([0xfd, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // DONE, status error, row count 0
  return packet(0x04, Buffer.concat([error, done]));
}

export async function refusingSqlServer(user = 'loader'): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((sock) => {
    sock.on('data', (d) => {
      const type = d.readUInt8(0);
      if (type === 0x12) sock.write(preloginResponse());
      else if (type === 0x10) sock.write(loginRefused(user));
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
