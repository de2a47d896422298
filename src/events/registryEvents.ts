// What the registry API tells the rest of Berth after a push or pull succeeds: the audit log,
// notifications and push-time labels listen here, so /v2 handlers stay unaware of them.
import type { Logger } from "../log";

export interface ManifestEvent {
  /** ns/name as stored. */
  repo: string;
  repoId: number;
  digest: string;
  mediaType: string;
  /** The tag named in the request, when it named one. */
  tag?: string;
  /** The request that pushed or pulled (headers, client address, credentials). */
  request: Request;
}

type Listener = (event: ManifestEvent) => void;

export class RegistryEvents {
  private readonly pushed: Listener[] = [];
  private readonly pulled: Listener[] = [];

  constructor(private readonly log: Logger) {}

  onManifestPushed(listener: Listener): void {
    this.pushed.push(listener);
  }

  onManifestPulled(listener: Listener): void {
    this.pulled.push(listener);
  }

  manifestPushed(event: ManifestEvent): void {
    this.emit(this.pushed, event, "push");
  }

  manifestPulled(event: ManifestEvent): void {
    if (this.pulled.length) this.emit(this.pulled, event, "pull");
  }

  /** Listeners run after the response is decided; one failing never fails the request or the others. */
  private emit(listeners: Listener[], event: ManifestEvent, what: string): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (e) {
        this.log.error(`${what} listener failed for ${event.repo}@${event.digest}`, e);
      }
    }
  }
}
