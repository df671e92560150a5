import t from "tap";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFeedClient, RpcError } from "../../../cluster/index.ts";
import { grpc, rawClient, startTestFeedServer, statusOf } from "../../helpers/feed-server.ts";

const Status = grpc.status;

/** A throwaway self-signed certificate for localhost / 127.0.0.1, made with the openssl CLI. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "ignore" });
  return { cert, key };
}

t.test("security - TLS: a client trusting the certificate is served, plaintext and untrusting clients are refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fyp-tls-"));
  const pair = selfSigned(dir);
  const srv = await startTestFeedServer({ "grpc.tls.cert": pair.cert, "grpc.tls.key": pair.key });
  const ca = readFileSync(pair.cert);
  const trusted = rawClient(srv.address, grpc.credentials.createSsl(ca));
  const plain = rawClient(srv.address);
  const untrusting = rawClient(srv.address, grpc.credentials.createSsl());
  t.teardown(async () => {
    for (const c of [trusted, plain, untrusting]) c.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(srv.service.grpc.tls, true);
  const feed = await trusted.GetFeed({ userId: "u1", count: 2 }, { deadlineMs: 5000 });
  t.equal(feed.items.length, 2, "served over TLS");
  const p = await statusOf(plain.GetFeed({ userId: "u1", count: 2 }, { deadlineMs: 3000 }));
  t.ok(p.code === Status.UNAVAILABLE || p.code === Status.DEADLINE_EXCEEDED, `plaintext client refused (${p.code} ${p.details})`);
  const u = await statusOf(untrusting.GetFeed({ userId: "u1", count: 2 }, { deadlineMs: 3000 }));
  t.ok(u.code === Status.UNAVAILABLE || u.code === Status.DEADLINE_EXCEEDED, `client not trusting the certificate refused (${u.code} ${u.details})`);
});

t.test("security - bearer token: missing and wrong tokens are UNAUTHENTICATED; health stays open", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fyp-tls-"));
  const pair = selfSigned(dir);
  const srv = await startTestFeedServer({ "grpc.authToken": "s3cret-token", "grpc.tls.cert": pair.cert, "grpc.tls.key": pair.key });
  const ca = readFileSync(pair.cert);
  const c = rawClient(srv.address, grpc.credentials.createSsl(ca));
  const good = createFeedClient({ target: `grpcs://${srv.address}`, caPem: ca, token: "s3cret-token" });
  const bad = createFeedClient({ target: `grpcs://${srv.address}`, caPem: ca, token: "s3cret-tokeX" });
  t.teardown(async () => {
    c.close();
    good.close();
    bad.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const missing = await statusOf(c.GetFeed({ userId: "u1", count: 1 }));
  t.equal(missing.code, Status.UNAUTHENTICATED);
  t.match(missing.details, /missing authorization metadata/);
  const md = new grpc.Metadata();
  md.set("authorization", "Bearer nope");
  const wrong = await statusOf(c.GetFeed({ userId: "u1", count: 1 }, { metadata: md }));
  t.equal(wrong.code, Status.UNAUTHENTICATED);
  t.match(wrong.details, /invalid bearer token/);
  const sameLength = await bad.getFeed({ userId: "u1", count: 1 }).then(() => null, (e: unknown) => e);
  t.ok(sameLength instanceof RpcError && sameLength.code === Status.UNAUTHENTICATED, "a token differing in one character is refused");
  const ok = await good.getFeed({ userId: "u1", count: 3 }, { deadlineMs: 5000 });
  t.equal(ok.items.length, 3, "the right token over TLS is served (project client)");
  const events = await good.reportEvents([{ userId: "u1", type: "EVENT_TYPE_LIKE", videoId: "v1" }]);
  t.equal(events.accepted, 1, "client streams carry the token too");
  const m = await import("node:http");
  const body = await new Promise<string>((resolve, reject) =>
    m.get({ host: "127.0.0.1", port: srv.service.metricsPort!, path: "/metrics", agent: false }, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve(b));
    }).on("error", reject),
  );
  t.match(body, /fyp_grpc_requests_total\{method="GetFeed",code="UNAUTHENTICATED"\} 3/);
});

t.test("security - plaintext on a non-loopback host and half a TLS pair are refused at start", async (t) => {
  await t.rejects(startTestFeedServer({ "grpc.host": "0.0.0.0" }), {
    code: "FYP_ERR_CONFIG",
    message: /config grpc\.host: a non-loopback host needs TLS/,
  });
  await t.rejects(startTestFeedServer({ "grpc.tls.cert": "/nonexistent/cert.pem" }), {
    code: "FYP_ERR_CONFIG",
    message: /config grpc\.tls\.key: must be set together/,
  });
  await t.rejects(startTestFeedServer({ "grpc.tls.cert": "/nonexistent/cert.pem", "grpc.tls.key": "/nonexistent/key.pem" }), {
    code: "FYP_ERR_CONFIG",
    message: /config grpc\.tls\.cert: cannot be read/,
  });
});
