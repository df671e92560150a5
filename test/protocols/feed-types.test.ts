import t from "tap";
import { readFileSync } from "node:fs";
import { FEED_TYPES_PATH, generateFeedTypes } from "../../protocols/grpc/codegen.ts";
import { FEED_PROTO_PATH, fypv1 } from "../../protocols/index.ts";

t.test("feed types - the committed feed-types.ts is what codegen makes of feed.proto", (t) => {
  const fresh = generateFeedTypes();
  t.equal(
    readFileSync(FEED_TYPES_PATH, "utf8"),
    fresh,
    "stale: run `node --import tsx protocols/grpc/codegen.ts` after editing protocols/grpc/feed.proto",
  );
  t.end();
});

t.test("feed types - the contract is versioned and lists the five RPCs", (t) => {
  t.match(readFileSync(FEED_PROTO_PATH, "utf8"), /^package fyp\.v1;$/m);
  t.same(Object.keys(fypv1.FeedServiceMethods), ["GetFeed", "ReportEvents", "UploadVideo", "GetVideoStats", "GetClusterStatus"]);
  t.equal(fypv1.FeedServiceMethods.ReportEvents.requestStream, true, "ReportEvents is a client stream");
  t.equal(fypv1.EventType.EVENT_TYPE_SESSION_END, "EVENT_TYPE_SESSION_END");
  t.end();
});
