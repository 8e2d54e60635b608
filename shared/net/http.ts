// Serving a fetch handler over HTTP on Node and on Deno (Node's http module, which Deno
// implements), with a clear error when the port is taken.
import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import { PortInUseError } from "./listen.ts";

export type HttpServer = Readonly<{ port: number; close(): Promise<void> }>;

export function listenHttp(fetch: (request: Request) => Response | Promise<Response>, host: string, port: number, setting: string): Promise<HttpServer> {
  const server = createAdaptorServer({ fetch }) as Server;
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? new PortInUseError(port, setting) : error));
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}
