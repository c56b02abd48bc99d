import * as net from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for a server a test starts: sshd, a TLS dockerd, a health port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
