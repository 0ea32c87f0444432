import type { Response } from 'express';

/**
 * Responses held back by latency or hang faults. close() must be able to
 * release them, or the server (and a test run) would never finish.
 */
export class ParkedResponses {
  readonly #release = new Map<Response, () => void>();

  /** Resolves true after ms, false if the client left or close() ran first. */
  delay(res: Response, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(true), ms);
      const settle = (elapsed: boolean) => {
        clearTimeout(timer);
        res.off('close', onClose);
        this.#release.delete(res);
        resolve(elapsed);
      };
      const onClose = () => settle(false);
      res.on('close', onClose);
      this.#release.set(res, () => {
        res.socket?.destroy();
        settle(false);
      });
    });
  }

  /** Never answers: the socket stays open until the client gives up or close(). */
  hang(res: Response): void {
    res.on('close', () => this.#release.delete(res));
    this.#release.set(res, () => res.socket?.destroy());
  }

  releaseAll(): void {
    for (const release of [...this.#release.values()]) release();
    this.#release.clear();
  }
}
