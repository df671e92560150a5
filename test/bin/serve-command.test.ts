import t from "tap";
import { createFeedClient } from "../../cluster/index.ts";
import { spawnServe } from "../helpers/run-cli.ts";

t.test("cli - fyp serve answers feeds from the real feed node and shuts down cleanly on SIGTERM", async (t) => {
  const serve = spawnServe(["--port", "0", "--metrics-port", "0", "--videos", "500", "--log-level", "warn", "--set", "storage.stateStore=memory"]);
  const { child, exited } = serve;
  t.teardown(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const info = await serve.ready;
  t.match(info, { grpc: /^127\.0\.0\.1:\d+$/, metrics: /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, tls: false, auth: false, videos: 500 });
  const client = createFeedClient({ target: `grpc://${info.grpc}` });
  t.teardown(() => client.close());
  const feed = await client.getFeed({ userId: "cli-user", count: 8 }, { deadlineMs: 10_000 });
  t.equal(feed.items.length, 8, "a cold user gets a full feed from the recommender");
  t.ok(feed.modelVersion.length > 0, `model version ${feed.modelVersion}`);
  t.ok(feed.items.every((i) => /^v\d+$/.test(i.videoId) && i.reason.length > 0), "items carry catalog ids and reasons");
  const up = await client.uploadVideo({ authorId: "creator-1", durationMs: 20_000, category: 1 }, { deadlineMs: 10_000 });
  t.equal(up.videoId, "v500", "an upload joins the catalog with the next id");
  child.kill("SIGTERM");
  t.equal(await exited, 0, "graceful shutdown exits 0");
});
