import { bool, int, listOf, num, obj, oneOf, str, type Infer } from "./schema.ts";

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** The whole configuration. Defaults live in default.json, and only there. */
export const configSchema = obj({
  node: obj({
    /** This node's id; "auto" derives one from host and pid. */
    id: str({ pattern: /^(auto|[A-Za-z0-9_-]{1,64})$/ }),
    cluster: str({ pattern: TOKEN }),
  }),
  cluster: obj({
    /** Fixed for the life of a cluster; checked when a node joins. */
    numShards: int(1, 65_536),
    /** How often a node renews its membership lease (ms). */
    heartbeatMs: int(10, 60_000),
    /** A member not heard from for this long is failed and its shards are taken over (ms). */
    leaseMs: int(50, 600_000),
    /** How often each owned shard whose events advanced is checkpointed (ms). */
    checkpointMs: int(10, 3_600_000),
    /** How long a graceful hand-off waits for the other node before it treats it as failed (ms). */
    handoffTimeoutMs: int(100, 600_000),
    /** Max age of the JetStream event log (ms); checkpoints must be taken well within it. */
    eventLogMaxAgeMs: int(60_000, 365 * 86_400_000),
    /** A retried event (same event id) within this window is stored once (JetStream duplicate window, ms). */
    eventDedupWindowMs: int(1_000, 86_400_000),
    /** Copies of the event stream and the KV buckets kept by a clustered NATS (1 for a single server, 3 for three). */
    replicas: int(1, 5),
    /** coord/model-sync: versions of `model` in the cluster's object store, hot-swapped on every node. */
    modelSync: obj({
      /** The served model synced across nodes (its versions come from ranking.modelsDir/<model>/). */
      model: str({ pattern: /^[A-Za-z0-9_-]{1,64}$/ }),
      /** Whether the coordinator runs scheduled training rounds (nodes follow pushed versions either way). */
      schedule: bool(),
      /** Sparse (embedding) update round interval, minutes in Monolith (ms). */
      sparseIntervalMs: int(100, 30 * 86_400_000),
      /** Dense (full network) update round interval, daily in Monolith (ms). */
      denseIntervalMs: int(100, 365 * 86_400_000),
      /**
       * Rounds train in process (cluster/node/feed-trainer.ts): the node hosting coord/model-sync trains a child
       * of the served version on the rows it recorded (served items' features + their ReportEvents outcomes).
       * Off, or with fewer than `minRows` rows, a round publishes `ranking.modelsDir/<model>/LATEST` instead.
       */
      train: bool(),
      /** The shipped feed ranker (with tfjs weights): the parent when the served version's weights are not on this node. */
      baseModel: str({ minLength: 1, maxLength: 4096 }),
      /** Rows a round needs to train. */
      minRows: int(20, 10_000_000),
      /** Rows buffered at most between rounds (later outcomes are not recorded until the next round). */
      maxRows: int(20, 10_000_000),
      /** A user with no request or event for this long is dropped with its unanswered candidates (ms). */
      rowTimeoutMs: int(1_000, 86_400_000),
    }),
  }),
  actors: obj({
    mailboxCapacity: int(1, 10_000_000),
    /** An actor idle this long (clock time) is passivated into the state store. */
    passivationIdleMs: int(1, 86_400_000 * 30),
    /** How often idle actors are looked for; 0 disables passivation. */
    sweepIntervalMs: int(0, 86_400_000),
    askTimeoutMs: int(1, 3_600_000),
    /** Messages an actor processes before yielding to the next ready actor. */
    throughput: int(1, 100_000),
    /** Messages processed before the dispatcher yields to I/O. */
    dispatchBatch: int(1, 10_000_000),
  }),
  storage: obj({
    /** Folder for LMDB files (state store, catalog, event log). */
    dir: str({ minLength: 1 }),
    stateStore: oneOf("memory", "lmdb"),
    /**
     * `fyp serve`: "lmdb" commits interactions and uploads to an event log in `dir` before acknowledging
     * them, with shard checkpoints and replay on restart (the cluster's guarantee); "none": state only.
     * Off whenever stateStore is "memory" (a scratch run persists nothing).
     */
    eventLog: oneOf("none", "lmdb"),
  }),
  log: obj({
    level: oneOf("trace", "debug", "info", "warn", "error", "fatal", "silent"),
  }),
  datasets: obj({
    /** Folder holding kuairand/, kuairec/, microlens/ (read in place, never copied). */
    dir: str({ minLength: 1 }),
    /** Stop at the first malformed row instead of counting and skipping it. */
    strict: bool(),
    /** Malformed rows kept (with file, line, column) in an import report; all are counted. */
    maxErrors: int(0, 100_000),
    /** Thresholds of the derived labels (docs/data.md). */
    labels: obj({
      /** skip_fast: play time below this. */
      skipFastMs: int(0, 3_600_000),
      /** rewatch: play / duration at or above this. */
      rewatchRatio: num(1, 100),
      /** A user's interactions further apart than this start a new session. */
      sessionGapMs: int(1, 86_400_000 * 30),
    }),
  }),
  synthetic: obj({
    /** World seed: users and videos are pure functions of (seed, index). */
    seed: int(0, 2 ** 31 - 1),
    users: int(1, 100_000_000),
    videos: int(1, 10_000_000),
    /** Fitted parameters (JSON); "" uses the committed KuaiRand fit. */
    params: str({ maxLength: 4096 }),
  }),
  dims: obj({
    visual: int(1, 4096),
    audio: int(1, 4096),
    text: int(1, 4096),
    content: int(1, 4096),
    interestShort: int(1, 4096),
    interestMid: int(1, 4096),
    interestLong: int(1, 4096),
  }),
  ranking: obj({
    /** R = a1*E[wt] + a2*P(complete) + a3*P(rewatch) + a4*P(continue) - a5*P(skip_fast) - a6*fatigue */
    weights: obj({
      watchTime: num(0, 100),
      complete: num(0, 100),
      rewatch: num(0, 100),
      continue: num(0, 100),
      skipFast: num(0, 100),
      fatigue: num(0, 100),
    }),
    /** Trained rankers (ONNX + JSON model card per version) live here; relative to the working directory. */
    modelsDir: str({ minLength: 1, maxLength: 4096 }),
    /** Shared-bottom widths of the multi-task network, then one tower per head. */
    hidden: listOf(int(1, 8192), 1, 8),
    tower: int(1, 4096),
    epochs: int(1, 1000),
    batchSize: int(1, 1_000_000),
    learningRate: num(1e-6, 1),
    /** E[watch_ratio] is learnt on min(watch_ratio, cap) / cap, so every head is in [0, 1]. */
    watchRatioCap: num(1, 100),
    /** KuaiRand time split: train on days up to trainEnd, validate on the days after it up to validEnd (YYYY-MM-DD, UTC+8). */
    trainEnd: str({ pattern: /^\d{4}-\d{2}-\d{2}$/ }),
    validEnd: str({ pattern: /^\d{4}-\d{2}-\d{2}$/ }),
    /** Incremental training: passes over each stream window of recent events. */
    incrementalEpochs: int(1, 100),
    /** Seed of weight init and shuffling. */
    seed: int(0, 2 ** 31 - 1),
  }),
  interest: obj({
    /** Short-term EMA rate: s += rate * engagement * (v - s). */
    shortRate: num(0, 1),
    /** Mid-term GRU: engagements it reads (most recent last). */
    midSeqLen: int(1, 512),
    /** Long-term category affinity half-life (event time). */
    longHalfLifeMs: int(1, 86_400_000 * 3650),
    /** Seed of the fixed random projections between content space and interest spaces. */
    seed: int(0, 2 ** 31 - 1),
  }),
  inference: obj({
    /** ModelService: a batch starts when this many rows are queued, else at the end of the tick. */
    maxBatchRows: int(1, 1_000_000),
    /** Rows allowed to wait before requests are refused as overloaded. */
    maxQueueRows: int(1, 100_000_000),
    maxConcurrentRuns: int(1, 64),
    /** onnxruntime intra-op threads per session; 1 is fastest here. */
    intraOpThreads: int(1, 64),
  }),
  embeddings: obj({
    visual: obj({
      /** Path of the .onnx encoder; empty: this modality is not extracted. */
      model: str({ maxLength: 4096 }),
      input: str({ minLength: 1, maxLength: 256 }),
      output: str({ minLength: 1, maxLength: 256 }),
    }),
    audio: obj({
      /** Path of the .onnx encoder; empty: this modality is not extracted. */
      model: str({ maxLength: 4096 }),
      input: str({ minLength: 1, maxLength: 256 }),
      output: str({ minLength: 1, maxLength: 256 }),
    }),
    text: obj({
      /** Path of the .onnx encoder; empty: this modality is not extracted. */
      model: str({ maxLength: 4096 }),
      input: str({ minLength: 1, maxLength: 256 }),
      output: str({ minLength: 1, maxLength: 256 }),
    }),
    /** Attention-fusion model (inputs visual/audio/text/mask, output content). */
    fusion: str({ maxLength: 4096 }),
    temporalPooling: oneOf("mean", "max", "meanmax"),
    /** Hashed sub-word n-gram text features. */
    textBuckets: int(2, 1 << 24),
    textMaxTokens: int(1, 4096),
    /** The content model the project trains itself (`fyp train content`): text + metadata towers, engagement objective. */
    content: obj({
      /** Versions live in <modelsDir>/<version>/ (content.onnx, text.onnx, card.json); `latest` names the newest. */
      modelsDir: str({ minLength: 1, maxLength: 4096 }),
      /** Hashed metadata tokens (category levels, tags, author, duration band, type, music). */
      metaBuckets: int(2, 1 << 24),
      metaMaxTokens: int(1, 4096),
      /** Width of the text and metadata embedding bags. */
      bagDim: int(1, 4096),
      metaDim: int(1, 4096),
      heads: int(1, 64),
      keyDim: int(1, 1024),
      /** Datasets whose catalogs (or folders) it trains on. */
      datasets: listOf(oneOf("kuairand", "kuairec", "microlens"), 1, 3),
      steps: int(1, 10_000_000),
      /** Pairs per step (in-batch sampled softmax: the batch's other positives are the negatives). */
      batchSize: int(2, 65_536),
      learningRate: num(1e-6, 1),
      temperature: num(1e-3, 10),
      /** Correct in-batch logits by log item frequency. */
      logQ: bool(),
      /** Engaged items this many positions apart (or closer) in a user's sequence form a pair. */
      window: int(1, 1000),
      /** Share of users whose pairs are held out for the model card's figures. */
      heldOutUsers: num(0, 0.9),
      maxPairsPerUser: int(1, 1_000_000),
      /** Never train on KuaiRand interactions after this day (UTC+8): the retrieval eval's test days. */
      trainEnd: str({ pattern: /^\d{4}-\d{2}-\d{2}$/ }),
      evalPairs: int(2, 1_000_000),
      seed: int(0, 2 ** 31 - 1),
      /** Videos per inference call in `fyp embed`. */
      embedBatch: int(1, 1_000_000),
    }),
  }),
  retrieval: obj({
    hnsw: obj({
      m: int(2, 128),
      efConstruction: int(8, 2000),
      efSearch: int(1, 10_000),
      capacity: int(16, 100_000_000),
    }),
    /** Merged candidates per feed request. */
    candidates: int(1, 100_000),
    /** Share of the merged candidates per source (normalised). */
    quotas: obj({
      content: num(0, 1),
      collaborative: num(0, 1),
      trending: num(0, 1),
      coldStart: num(0, 1),
      exploration: num(0, 1),
    }),
    trendingHalfLifeMs: int(1, 86_400_000 * 30),
    /** Impressions a new video gets in a cohort's exposure pool. */
    coldStartImpressions: int(1, 1_000_000),
    coEngagementWindow: int(1, 1000),
    /**
     * Pages a session's retrieved candidates serve after the one they were retrieved for, re-ranked with the
     * session's current interests and minus what it has seen, before it retrieves again (0 = retrieve for
     * every page, the default). A throughput knob for big simulations: it changes which candidates a page
     * is ranked from.
     */
    reusePages: int(0, 1000),
    /** `npm run eval -- retrieval`: users sampled per protocol, cut-offs, interest seeds, KuaiRand test end day. */
    eval: obj({
      users: int(1, 100_000_000),
      ks: listOf(int(1, 100_000), 1, 16),
      /** Most recent engaged items averaged into the content query (and seeding collaborative retrieval). */
      recent: int(1, 1000),
      seed: int(0, 2 ** 31 - 1),
      kuairandTestEnd: str({ pattern: /^\d{4}-\d{2}-\d{2}$/ }),
    }),
  }),
  feed: obj({
    /** Items per feed when a request does not say. */
    size: int(1, 1000),
    /** Served items remembered per session; none is served again within this window. */
    seenWindow: int(1, 100_000),
    /** Engaged items kept as the mid-term sequence. */
    recentMax: int(1, 10_000),
    /** Per-event decay of long-term category affinity. */
    longDecay: num(0.5, 1),
    /** Score multiplier of videos flagged by integrity. */
    integrityDemotion: num(0, 1),
    /** Half-life of the homogenization monitor's exposure window (clock ms). */
    exposureHalfLifeMs: int(1, 86_400_000 * 30),
    /** Random-recommendation warm-up from the node's start (clock ms; 0 = none): every feed is drawn uniformly (Chaney et al.). */
    warmupMs: int(0, 86_400_000 * 30),
    /** Per-node pre-aggregation flush interval (clock ms). */
    flushMs: int(1, 3_600_000),
    /** Users are hashed into this many cohorts. */
    cohorts: int(1, 1_000_000),
    viral: obj({
      /** Impressions of each exposure stage (stage 0 = the cold-start test). */
      stageBudgets: listOf(int(1, 1_000_000_000), 1, 16),
      /** Cohorts that see a video at each stage (capped at feed.cohorts). */
      stageCohorts: listOf(int(1, 1_000_000), 1, 16),
      /** Cold-start score a video needs at each stage's end to be promoted. */
      promoteAt: listOf(num(-100, 100), 1, 16),
    }),
    /**
     * The feed's ranker: `prior` (hand-set, no model needed) or a trained feed ranker — a version folder, a
     * `<modelsDir>/feed-ranker` folder (its LATEST) or an .onnx file beside its card.json (fyp train ranker --world).
     */
    ranker: str({ minLength: 1, maxLength: 4096 }),
  }),
  simulate: obj({
    seed: int(0, 2 ** 31 - 1),
    /** Simulated users (each runs one or more sessions). */
    sessions: int(1, 100_000_000),
    /** Videos in the simulated catalog. */
    videos: int(1, 100_000_000),
    /** Sessions start spread uniformly over this window (virtual ms). */
    arrivalWindowMs: int(0, 86_400_000 * 30),
    /** Mean think time between two videos (virtual ms, exponential). */
    thinkTimeMs: int(0, 3_600_000),
    /** A session ends after at most this many videos. */
    maxItemsPerSession: int(1, 100_000),
    /** Leave model: base chance to leave after each video, and its growth with boredom (0..1). */
    leaveBase: num(0, 1),
    leaveBoredom: num(0, 1),
    /** Return model: chance to come back after leaving, mean gap (virtual ms), most sessions per user. */
    returnProbability: num(0, 1),
    returnDelayMs: int(0, 86_400_000 * 30),
    sessionsPerUser: int(1, 10_000),
    /** Spread of per-video quality (log-normal sigma): some videos are better than their category. */
    qualitySigma: num(0, 5),
    /** Chance of a like at a full watch. */
    likeRate: num(0, 1),
    /** New videos uploaded during the run (they enter the viral ladder). */
    uploads: obj({ count: int(0, 10_000_000), everyMs: int(1, 86_400_000) }),
    /** An engagement farm: `bots` fake sessions completing `videos` target videos every `intervalMs`. */
    farm: obj({ bots: int(0, 1_000_000), videos: int(1, 10_000), intervalMs: int(1, 86_400_000), events: int(0, 1_000_000) }),
    /** Progress output interval (wall ms). */
    progressEveryMs: int(50, 3_600_000),
    progress: bool(),
    /**
     * Worker threads to split the run over (viewers by key, other actors by id), each a node with its own
     * node-level state, in lockstep on virtual time, epoch by epoch (`epochMs`). 1: one node, one event
     * order (research observers need it).
     */
    workers: int(1, 64),
    epochMs: int(1, 3_600_000),
    /**
     * Epochs a node may run ahead of the slowest: what a node sends during epoch k is delivered at the end
     * of epoch k + lagEpochs. 0 is a barrier at every epoch's end; 1 lets a node that finished an epoch early
     * go on while another catches up (most epochs take a node ~1 ms and a few ~200 ms). A message between
     * nodes takes up to (1 + lagEpochs) × epochMs: the defaults, 5 s and 1, keep that within the counters'
     * flush interval `feed.flushMs` (10 s).
     */
    lagEpochs: int(0, 16),
  }),
  grpc: obj({
    /** Address `fyp serve` binds; a non-loopback host needs TLS (or allowInsecureRemote). */
    host: str({ pattern: /^[A-Za-z0-9.:_-]{1,253}$/ }),
    /** gRPC port; 0 picks a free one (printed at start). */
    port: int(0, 65_535),
    /** Largest feed page a GetFeed may ask for. */
    maxFeedCount: int(1, 10_000),
    /** Admission control: the most requests in flight (being handled or their answers being sent); more are refused with RESOURCE_EXHAUSTED. */
    maxInFlight: int(1, 1_000_000),
    /** Admission control: under sustained event-loop delay, the in-flight limit is this much queued work at the measured service time per request (at least 16, at most maxInFlight); 0: maxInFlight alone. */
    inFlightBudgetMs: int(0, 60_000),
    /** Admission control: messages queued in the node's mailboxes above which requests are refused. */
    maxMailboxBacklog: int(1, 100_000_000),
    /**
     * V8's heap growth after a major GC, in percent, set when `fyp serve` or `fyp node` starts (0: V8's own heuristic).
     * Each major GC of a serving node stalls requests 50-200 ms; with V8's heuristic the next one came when
     * the heap had grown ~15-25 MB (every ~6 s at 1,000 req/s), with 300 when it has grown to ~4x what was live.
     */
    heapGrowingPercent: int(0, 10_000),
    /** Admission control: while the event loop runs over a third of this late for a whole 100 ms interval, fewer arriving requests are admitted; 0 disables. */
    maxEventLoopDelayMs: int(0, 60_000),
    /** Work budget of a request that carries no deadline. */
    defaultDeadlineMs: int(1, 3_600_000),
    /** Events one ReportEvents call may carry. */
    maxEventsPerStream: int(1, 100_000_000),
    /** Largest request message accepted. */
    maxMessageBytes: int(1024, 64 * 1024 * 1024),
    /** Highest video category index. */
    maxCategory: int(0, 1_000_000),
    /** Timestamps may be this far in the future (client clock skew). */
    maxClockSkewMs: int(0, 86_400_000),
    /** Timestamps may be this far in the past. */
    maxEventAgeMs: int(0, 86_400_000 * 3650),
    /** Bearer token clients must send (`authorization: Bearer <token>`); "" disables the check. */
    authToken: str({ maxLength: 4096 }),
    /** Allow plaintext on a non-loopback host (e.g. behind a mesh that terminates TLS). */
    allowInsecureRemote: bool(),
    tls: obj({
      /** PEM server certificate chain file; "" (with key "") serves plaintext. */
      cert: str({ maxLength: 4096 }),
      /** PEM private key file. */
      key: str({ maxLength: 4096 }),
    }),
    metrics: obj({
      /** Prometheus text exposition at http://host:port/metrics. */
      enabled: bool(),
      host: str({ pattern: /^[A-Za-z0-9.:_-]{1,253}$/ }),
      port: int(0, 65_535),
    }),
  }),
  exploration: obj({
    /** LinUCB over candidate context features: UCB = xᵀθ + alpha·sqrt(xᵀA⁻¹x), A starts as lambda·I. */
    linucb: obj({ alpha: num(0, 100), lambda: num(1e-6, 1e6) }),
    /** Epsilon of the epsilon-greedy baseline arm (experiments). */
    epsilon: num(0, 1),
    /** Share of feed slots that are exploration; the homogenization stabilizer moves it at run time. */
    noveltyRate: num(0, 1),
    /** The first slots of a feed are never exploration. */
    protectTopSlots: int(0, 1000),
    discovery: obj({
      /** Pseudo-observations the cohort's per-category prior is worth for a new session. */
      priorStrength: num(0, 10_000),
    }),
  }),
  policy: obj({
    maxCategoryRun: int(1, 1000),
    /** Cosine above which two items are not placed next to each other (soft). */
    adjacentSimilarityMax: num(-1, 1),
    authorCap: int(1, 1000),
    /** Over-personalization guard: most share of one feed one category may take. */
    categoryShareCap: num(0, 1),
    /**
     * Exposure-aware ranking: a candidate's score loses `exposurePenalty · ln(1 + e / ē)`, e its recent
     * impressions on this node and ē the catalog mean (0 = off; the homogenization stabilizer moves it).
     */
    exposurePenalty: num(0, 100),
  }),
  integrity: obj({
    bot: obj({
      minEvents: int(1, 1_000_000),
      /** Coefficient of variation of inter-event gaps below this is inhumanly regular. */
      maxGapCv: num(0, 10),
      perfectCompletion: num(0, 1),
      burstEvents: int(1, 1_000_000),
      burstWindowMs: int(1, 86_400_000),
      /** Signals (regular timing, perfect completion, bursts) needed to flag a session. */
      minSignals: int(1, 3),
    }),
    farm: obj({
      windowMs: int(1, 86_400_000),
      minSessions: int(2, 1_000_000),
      minSharedVideos: int(1, 1_000_000),
      minGroupSize: int(2, 1_000_000),
      /** A burst must hold this many times the video's average per-window engagement. */
      burstFactor: num(1, 1_000_000),
      maxCellSessions: int(2, 1_000_000),
    }),
    loop: obj({ window: int(1, 100_000), maxClusterShare: num(0, 1) }),
  }),
  homogenization: obj({
    /** Off: the novelty rate and diversity rules stay at their configured values. */
    enabled: bool(),
    /** How often the coordinator recomputes the metrics and steps the controller (clock ms). */
    intervalMs: int(1, 86_400_000),
    giniMax: num(0, 1),
    coverageMin: num(0, 1),
    /** Normalised category entropy. */
    entropyMin: num(0, 1),
    hysteresis: num(0, 1),
    noveltyMin: num(0, 1),
    noveltyMax: num(0, 1),
    step: num(0, 1),
    calmSteps: int(1, 1000),
    categoryShareCapLoose: num(0, 1),
    categoryShareCapTight: num(0, 1),
    maxCategoryRunLoose: int(1, 1000),
    maxCategoryRunTight: int(1, 1000),
    /** Exposure penalty (see policy.exposurePenalty) at the loosest and tightest ends. */
    exposurePenaltyLoose: num(0, 100),
    exposurePenaltyTight: num(0, 100),
  }),
  coldStart: obj({
    /** Seed score: watchTime·wt/base + completion·c/base − skip·s/base. Follower count is never an input. */
    weights: obj({ watchTime: num(0, 100), completion: num(0, 100), skip: num(0, 100) }),
    /** Retire before the stage budget is spent when the score is below this after earlyRetireFraction of it. */
    earlyRetireBelow: num(-100, 100),
    earlyRetireFraction: num(0, 1),
  }),
  /** Research harness (`fyp simulate --out`, `fyp experiment`): time series, replicates, intervals. */
  research: obj({
    /** Width of one time-series window (virtual ms). */
    sampleEveryMs: int(1000, 86_400_000 * 30),
    /** Per-cohort rows next to the global ones. */
    perCohort: bool(),
    /** Fixed-volume phases: metrics over every this many impressions (comparable across arms and time). */
    phaseItems: int(10, 100_000_000),
    /** Users whose shown-category mix is tracked for the filter-bubble index (an evenly spaced sample). */
    filterBubbleUsers: int(1, 10_000_000),
    /** Half-life (in served items) of a tracked user's shown-category mix: the index follows recent feeds. */
    filterBubbleHalfLifeItems: int(1, 1_000_000),
    /** Items a tracked user must have been shown before counting in the index. */
    filterBubbleMinItems: int(1, 1_000_000),
    /** `fyp experiment`: replicates per arm (seeds seed, seed+1, ...); arms share each replicate's seed. */
    replicates: int(1, 1000),
    /** Two-sided confidence level of the intervals. */
    confidence: num(0.5, 0.999),
    /** Bootstrap resamples of the paired mean difference. */
    bootstrapResamples: int(100, 1_000_000),
    /** The "late" window of an arm's time series: this share of the run's items, counted from the end. */
    lateShare: num(0.05, 1),
    /**
     * `fyp experiment`: runs at once, each in its own worker thread (0: one per core). Every run is still
     * one node on its own, so the outcome is the same as one run at a time.
     */
    parallelRuns: int(0, 64),
  }),
});

export type Config = Infer<typeof configSchema>;
