import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

/** Owns the listening socket: start resolves once bound, stop closes idle and then all connections. */
export class HttpServer {
  private server: http.Server | undefined;

  constructor(
    private readonly app: express.Express,
    private readonly host: string,
    private readonly port: number,
  ) {}

  start(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const server = http.createServer(this.app);
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(error.code === 'EADDRINUSE' ? new Error(`HTTP port ${this.port} on ${this.host} is already in use (set BRIDGE_HTTP_PORT)`) : error);
      });
      server.listen(this.port, this.host, () => {
        this.server = server;
        resolve(server.address() as AddressInfo);
      });
    });
  }

  async stop(graceMs = 5_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }
}
