// For tests: a local HTTP server speaking the few GitHub and GitLab REST endpoints Gantry's
// clients use, recording every call. Pull request files and commits are whatever the test sets.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type RecordedCall = Readonly<{ method: string; path: string; headers: IncomingMessage["headers"]; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type FakeVcs = Readonly<{
  url: string;
  calls: RecordedCall[];
  /** Files per pull request number (both providers). */
  prFiles: Map<number, string[]>;
  /** Comment bodies by id. */
  comments: Map<string, string>;
  close(): Promise<void>;
}>;

export async function startFakeVcs(): Promise<FakeVcs> {
  const calls: RecordedCall[] = [];
  const prFiles = new Map<number, string[]>();
  const comments = new Map<string, string>();
  let nextId = 1000;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    const body = text ? JSON.parse(text) : null;
    calls.push({ method: req.method ?? "", path: url.pathname + url.search, headers: req.headers, body });
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const p = url.pathname;
    const page = Number(url.searchParams.get("page") ?? 1);
    const per = Number(url.searchParams.get("per_page") ?? 30);
    let m: RegExpExecArray | null;
    // GitHub
    if (req.method === "POST" && /^\/repos\/[^/]+\/[^/]+\/statuses\/\w+$/.test(p)) return send(201, { id: nextId++, state: body.state });
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(p)) && req.method === "POST") {
      const id = String(nextId++);
      comments.set(id, body.body);
      return send(201, { id: Number(id) });
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(p)) && req.method === "PATCH") {
      if (!comments.has(m[1])) return send(404, { message: "Not Found" });
      comments.set(m[1], body.body);
      return send(200, { id: Number(m[1]) });
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/.exec(p))) {
      const files = prFiles.get(Number(m[1])) ?? [];
      return send(200, files.slice((page - 1) * per, page * per).map((filename) => ({ filename })));
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/commits\/(\w+)$/.exec(p))) return send(200, { sha: m[1], commit: { message: `commit ${m[1].slice(0, 7)}`, author: { name: "Mona" } }, author: { login: "mona" } });
    if (/^\/repos\/[^/]+\/[^/]+\/installation$/.test(p)) return send(200, { id: 42 });
    if ((m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(p))) return send(201, { token: `ghs_installation_${m[1]}`, expires_at: new Date(Date.now() + 3600_000).toISOString() });
    // GitLab
    if (req.method === "POST" && /^\/api\/v4\/projects\/[^/]+\/statuses\/\w+$/.test(p)) return send(201, { id: nextId++, status: body.state });
    if ((m = /^\/api\/v4\/projects\/[^/]+\/merge_requests\/(\d+)\/notes$/.exec(p)) && req.method === "POST") {
      const id = String(nextId++);
      comments.set(id, body.body);
      return send(201, { id: Number(id) });
    }
    if ((m = /^\/api\/v4\/projects\/[^/]+\/merge_requests\/\d+\/notes\/(\d+)$/.exec(p)) && req.method === "PUT") {
      if (!comments.has(m[1])) return send(404, { message: "404 Not found" });
      comments.set(m[1], body.body);
      return send(200, { id: Number(m[1]) });
    }
    if ((m = /^\/api\/v4\/projects\/[^/]+\/merge_requests\/(\d+)\/diffs$/.exec(p))) {
      const files = prFiles.get(Number(m[1])) ?? [];
      return send(200, files.slice((page - 1) * per, page * per).map((f) => ({ new_path: f, old_path: f })));
    }
    if ((m = /^\/api\/v4\/projects\/[^/]+\/repository\/commits\/(\w+)$/.exec(p))) return send(200, { id: m[1], message: `commit ${m[1].slice(0, 7)}`, author_name: "Jane" });
    send(404, { message: "no such fake endpoint" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    prFiles,
    comments,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
