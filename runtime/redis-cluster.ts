/**
 * Redis Cluster support for the queue engine. `REDIS_URL` names a cluster with the schemes
 * `redis+cluster://` and `rediss+cluster://` (TLS), followed by one or more seed nodes:
 *
 *     redis+cluster://[user:password@]host:port[,host:port...]
 *
 * The client discovers the other nodes from any seed; the credentials and TLS apply to every
 * node. On a cluster every BrainOps queue key carries the hash tag `{<prefix>}`: see
 * {@link queueKeyPrefix} for why one tag per deployment and not one per queue.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';

/** A parsed `redis+cluster://` URL. */
export interface ClusterUrl {
  /** Seed nodes: the client discovers the rest of the cluster from any one of them. */
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/?$/i;
// host:port, [ipv6]:port, or a host alone (port 6379).
const NODE = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::(\d{1,5}))?$/i;

/** Whether `url` uses a cluster scheme (valid or not). */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/i.test(url);
}

/** Parses a `redis+cluster://` URL; undefined when it is not a valid one. */
export function parseClusterUrl(url: string): ClusterUrl | undefined {
  const m = CLUSTER_URL.exec(url.trim());
  if (!m) return undefined;
  const nodes: ClusterUrl['nodes'] = [];
  for (const entry of m[4]!.split(',')) {
    const n = NODE.exec(entry.trim());
    const port = Number(n?.[3] ?? 6379);
    if (!n || port < 1 || port > 65535) return undefined;
    nodes.push({ host: n[1] ?? n[2]!, port });
  }
  const decode = (s: string | undefined) => (s ? decodeURIComponent(s) : undefined);
  const username = decode(m[2]);
  const password = decode(m[3]);
  return { nodes, tls: m[1]!.toLowerCase() === 'rediss', ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** What the queue engine asks of a Redis client, on a single server or a cluster alike. */
export interface RedisClientOptions {
  /** null: retry a command until the connection is back (what BullMQ's workers need). */
  maxRetriesPerRequest: number | null;
  /** false: fail a command at once while disconnected, instead of queueing it. */
  enableOfflineQueue?: boolean;
  lazyConnect?: boolean;
}

/**
 * An ioredis client for `url`: a `Cluster` for the cluster schemes, else a `Redis`. Both are
 * what BullMQ takes as `connection`. The caller adds an 'error' listener.
 */
export async function createRedisClient(url: string, o: RedisClientOptions): Promise<Redis | Cluster> {
  const ioredis = await import('ioredis');
  if (!isClusterUrl(url)) return new ioredis.Redis(url, o);
  const c = parseClusterUrl(url);
  if (!c) throw new Error('REDIS_URL is not a valid redis+cluster:// URL.');
  return new ioredis.Cluster(c.nodes, {
    ...(o.enableOfflineQueue !== undefined ? { enableOfflineQueue: o.enableOfflineQueue } : {}),
    ...(o.lazyConnect !== undefined ? { lazyConnect: o.lazyConnect } : {}),
    redisOptions: {
      maxRetriesPerRequest: o.maxRetriesPerRequest,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
      ...(c.tls ? { tls: {} } : {}),
    },
  });
}

/**
 * The BullMQ key prefix on Redis. On a single server it is `prefix` unchanged, so the keys of
 * running deployments stay where they are. On a cluster it is the hash tag `{prefix}`: every
 * key of every BrainOps queue of the deployment hashes to one slot.
 *
 * Why one tag per deployment and not one per queue (which would spread the agents' queues
 * over the cluster's masters): delegation makes a child task's job a BullMQ child of its
 * parent's job in another agent's queue, and BullMQ's scripts then touch the parent's keys
 * while running on the child's node. With a tag per queue a parent and child on different
 * masters fail with "Script attempted to access a non local key in a cluster node" (tried
 * on Redis 7.0). The price: one deployment's queues live on one master (and its replicas);
 * the cluster spreads deployments with different BRAINOPS_QUEUE_PREFIX values, not agents.
 */
export function queueKeyPrefix(prefix: string, cluster: boolean): string {
  return cluster ? `{${prefix}}` : prefix;
}
