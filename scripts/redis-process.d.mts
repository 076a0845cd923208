export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** The running process's pid; undefined while stopped. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, or SIGKILL when `hard`). */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (with `persistent`, the data comes back). */
  start(): Promise<void>;
  /** Kills it and removes its directory. */
  close(): Promise<void>;
}

/** `persistent`: append-only file fsynced on every write, so a restart keeps everything. */
export function startRedisProcess(options?: {
  persistent?: boolean;
  extraArgs?: string[];
}): Promise<RedisProcess>;

export interface RedisClusterProcesses {
  /** Every node, masters and replicas (which is which changes on a failover). */
  readonly nodes: RedisProcess[];
  /** Every node's `127.0.0.1:port`. */
  readonly seeds: string[];
  close(): Promise<void>;
}

/** A local cluster of `masters` masters with a replica each; `nodeTimeoutMs` before a failover. */
export function startRedisCluster(options?: {
  masters?: number;
  nodeTimeoutMs?: number;
}): Promise<RedisClusterProcesses>;
