/**
 * What aborts one attempt's undici request. undici takes anything with `aborted` and
 * add/removeEventListener as a signal; an AbortController (or an EventEmitter) costs several times
 * more to make, on every attempt, and the controller makes a DOMException with a stack when it
 * fires.
 */
export class AbortSwitch {
  aborted = false;
  private listeners: Array<() => void> = [];

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
