// Listening on a TCP port with an error that says which setting to change when the port is taken.
import { createServer, type Server, type Socket } from "node:net";

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly setting: string) {
    super(`port ${port} is already in use; stop what holds it or set ${setting} to another port`);
  }
}

export function listenTcp(handle: (socket: Socket) => void, host: string, port: number, setting: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handle);
    server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? new PortInUseError(port, setting) : error));
    server.listen(port, host, () => resolve(server));
  });
}

export function boundPort(server: Server): number {
  return (server.address() as { port: number }).port;
}
