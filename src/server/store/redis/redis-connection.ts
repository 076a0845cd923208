import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** One Redis server (`url`), or a Redis Cluster reached through its seed nodes (`cluster`, "host:port"). */
export type RedisTarget =
  | { url: string; cluster?: undefined }
  | { url?: undefined; cluster: readonly string[] };

/** How often a cluster command is retried while a failover is under way. */
const RETRY_MS = 200;

/** A command connection to a single Redis or to a cluster; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** Checks where to connect; throws a TypeError naming what is wrong. */
export function checkRedisTarget(options: { url?: unknown; cluster?: unknown }): RedisTarget {
  if (options.cluster !== undefined) {
    if (options.url !== undefined) throw new TypeError('redis: give url or cluster, not both');
    const seeds = options.cluster;
    if (
      !Array.isArray(seeds) ||
      seeds.length === 0 ||
      !seeds.every((s) => /^[^\s:]+:\d{1,5}$/.test(String(s)))
    ) {
      throw new TypeError(
        `redis.cluster must list seed nodes as "host:port", got ${JSON.stringify(options.cluster)}`,
      );
    }
    return { cluster: seeds as string[] };
  }
  if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) {
    throw new TypeError(
      `redis url must start with redis:// or rediss://, got ${JSON.stringify(options.url)}`,
    );
  }
  return { url: options.url };
}

/**
 * Opens the command connection. On a cluster, ioredis follows MOVED/ASK
 * redirections and, when a master fails, retries on the promoted replica
 * once the cluster says so, for `outlastMs` at least; the per-connection
 * options apply to every node's connection.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions, outlastMs: number): RedisClient {
  if (target.url !== undefined) return new Redis(target.url, options);
  const { retryStrategy, ...perNode } = options;
  return new Cluster(
    target.cluster.map((seed) => {
      const at = seed.lastIndexOf(':');
      return { host: seed.slice(0, at), port: Number(seed.slice(at + 1)) };
    }),
    {
      redisOptions: perNode,
      clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) ?? null : undefined,
      // A failover takes the cluster's node timeout plus an election: a command is retried every
      // RETRY_MS (each retry counts as a redirection) for as long as the store outlasts an outage.
      maxRedirections: Math.ceil(outlastMs / RETRY_MS) + 16,
      retryDelayOnFailover: RETRY_MS,
      retryDelayOnClusterDown: RETRY_MS,
      retryDelayOnTryAgain: RETRY_MS,
    },
  );
}

/**
 * Publishes `message` on `channel`: with SPUBLISH on a cluster (sharded
 * pub/sub: it stays within the shard holding the channel's slot, where a
 * PUBLISH would cross the bus to every node), with PUBLISH on a single Redis.
 */
export function publishOn(redis: RedisClient, channel: string, message: string): Promise<unknown> {
  return redis instanceof Cluster ? redis.spublish(channel, message) : redis.publish(channel, message);
}

/** The connections commands go out on: the single one, or each cluster master's (those still open). */
export function commandConnections(redis: RedisClient): Redis[] {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  return nodes.filter((node) => node.stream === undefined || !node.stream.destroyed);
}

/**
 * Runs `issue` with `connections` (see `commandConnections`) corked, so the
 * commands it issues (synchronously) leave in one socket write per Redis
 * server, and Redis answers them in one, instead of a write and a wake-up each.
 */
export function corked(connections: readonly Redis[], issue: () => void): void {
  for (const connection of connections) connection.stream?.cork();
  try {
    issue();
  } finally {
    for (const connection of connections) connection.stream?.uncork();
  }
}
