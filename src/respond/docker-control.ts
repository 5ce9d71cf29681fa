/**
 * @module respond/docker-control: the few Docker Engine calls a responder makes (inspect, pause/unpause, kill,
 * network disconnect/connect), through dockerode on the local socket. Docker's "already in that state"
 * answers (HTTP 304/409) count as success: every call is idempotent.
 */
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { AgentprovError, NotFoundError } from '../errors.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface ContainerInfo {
  /** Full 64-hex id. */
  id: string;
  /** Name without Docker's leading '/'. */
  name: string;
  running: boolean;
  paused: boolean;
  /** Host pid of the container's init process (0 when not running). */
  pid: number;
  /** Networks the container is attached to (except none/host, which cannot be disconnected). */
  networks: string[];
}

/** The operations the actuator needs; DockerControl is the implementation. */
export interface DockerPort {
  inspect(idOrName: string): Promise<ContainerInfo | null>;
  pause(id: string): Promise<'paused' | 'already paused'>;
  unpause(id: string): Promise<'unpaused' | 'not paused'>;
  kill(id: string): Promise<'killed' | 'not running'>;
  disconnect(id: string, network: string): Promise<void>;
  connect(id: string, network: string): Promise<void>;
}

interface HttpishError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as HttpishError).statusCode;
}

function messageOf(err: unknown): string {
  const e = err as HttpishError;
  return e.json?.message ?? e.message ?? String(err);
}

function dockerError(op: string, id: string, err: unknown): AgentprovError {
  if (statusOf(err) === 404) return new NotFoundError(`docker ${op}: no container ${id}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return new AgentprovError('AP_IO', `docker ${op}: dockerd does not answer (${code}); is it running? (scripts/setup-docker.sh)`, { cause: err });
  }
  return new AgentprovError('AP_IO', `docker ${op} ${id.slice(0, 12)}: ${messageOf(err)}`, { cause: err });
}

// dockerode (and its request stack) takes ~0.15 s to load: every command that builds a responder would pay
// it at start-up, though only a container response ever calls Docker. It is loaded on the first call.
const requireModule = createRequire(import.meta.url);

export class DockerControl implements DockerPort {
  readonly #socketPath: string;
  #client: Docker | null = null;

  constructor(opts: { socketPath?: string } = {}) {
    this.#socketPath = opts.socketPath ?? DEFAULT_DOCKER_SOCKET;
  }

  /** The dockerode client, created on first use. */
  get docker(): Docker {
    if (this.#client === null) {
      const DockerClient = requireModule('dockerode') as typeof Docker;
      this.#client = new DockerClient({ socketPath: this.#socketPath });
    }
    return this.#client;
  }

  /** True when dockerd answers on the socket. */
  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async inspect(idOrName: string): Promise<ContainerInfo | null> {
    try {
      const info = await this.docker.getContainer(idOrName).inspect();
      const networks = Object.keys(info.NetworkSettings?.Networks ?? {}).filter((n) => n !== 'none' && n !== 'host');
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        running: info.State.Running,
        paused: info.State.Paused,
        pid: info.State.Pid,
        networks,
      };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw dockerError('inspect', idOrName, err);
    }
  }

  async pause(id: string): Promise<'paused' | 'already paused'> {
    try {
      await this.docker.getContainer(id).pause();
      return 'paused';
    } catch (err) {
      if (statusOf(err) === 409 && /already paused/i.test(messageOf(err))) return 'already paused';
      throw dockerError('pause', id, err);
    }
  }

  async unpause(id: string): Promise<'unpaused' | 'not paused'> {
    try {
      await this.docker.getContainer(id).unpause();
      return 'unpaused';
    } catch (err) {
      if (statusOf(err) === 409 && /not paused/i.test(messageOf(err))) return 'not paused';
      throw dockerError('unpause', id, err);
    }
  }

  async kill(id: string): Promise<'killed' | 'not running'> {
    try {
      await this.docker.getContainer(id).kill({ signal: 'SIGKILL' });
      return 'killed';
    } catch (err) {
      if (statusOf(err) === 409 && /not running/i.test(messageOf(err))) return 'not running';
      throw dockerError('kill', id, err);
    }
  }

  async disconnect(id: string, network: string): Promise<void> {
    try {
      await this.docker.getNetwork(network).disconnect({ Container: id, Force: true });
    } catch (err) {
      throw dockerError(`network disconnect ${network}`, id, err);
    }
  }

  async connect(id: string, network: string): Promise<void> {
    try {
      await this.docker.getNetwork(network).connect({ Container: id });
    } catch (err) {
      // 403 "already exists in network" is the state we want.
      if (statusOf(err) === 403 && /already exists/i.test(messageOf(err))) return;
      throw dockerError(`network connect ${network}`, id, err);
    }
  }
}
