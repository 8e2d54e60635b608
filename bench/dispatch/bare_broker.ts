// The memory baseline of the dispatch benchmark: a bare aedes broker (the library Gantry's built-in
// broker is made of) with its default options and no authentication, in a process of its own
// started the same way as Gantry's server (node --import tsx). Prints "listening on <port>".
import { Aedes } from "aedes";
import { createServer } from "node:net";

const broker = await Aedes.createBroker();
const server = createServer(broker.handle as never);
server.listen(0, "127.0.0.1", () => console.log(`listening on ${(server.address() as { port: number }).port}`));
const stop = () => broker.close(() => server.close(() => process.exit(0)));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
