'use strict';
// What every client shares: start/close (and the official client's startup/shutdown), `await
// using`, the states, and for clients that serve callbacks (a push consumer, a producer with a
// transaction checker) holding the event loop from start() to close(), like a net.Server.
const { ClosedError } = require('./errors.cjs');

class Client {
  #what;
  #starting = null;
  #closing = null;
  #keepAlive = null;
  #refed = true;

  constructor(what) {
    this.#what = what;
    /** @internal the started native client */
    this._native = null;
  }

  /** Starts the client (fetches routes, opens sessions); resolves to the client. Idempotent. */
  start() {
    if (this.#closing) return Promise.reject(new ClosedError(`the ${this.#what} is closed`, { operation: 'start' }));
    // A refusal of the options rejects the promise, as every later failure does.
    this.#starting ??= new Promise((resolve) => resolve(this._open())).then((started) => {
      this._native = started;
      if (this._serves()) this.#hold();
      return this;
    });
    return this.#starting;
  }

  /** Stops the client; resolves once the brokers were told. Idempotent. */
  close() {
    this.#closing ??= (async () => {
      try {
        await this.#starting;
      } catch {
        // A client whose start failed has nothing to close.
      }
      const started = this._native;
      if (started) await started.close();
      this.#release();
    })();
    return this.#closing;
  }

  /** The official client's name for `start()`. */
  startup() {
    return this.start();
  }

  /** The official client's name for `close()`. */
  shutdown() {
    return this.close();
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  /** This client's id, once started. */
  get clientId() {
    return this._native?.clientId;
  }

  /** Keeps the process alive while the client serves (the default). */
  ref() {
    this.#refed = true;
    this.#keepAlive?.ref();
    return this;
  }

  /** Lets the process exit even while the client serves. */
  unref() {
    this.#refed = false;
    this.#keepAlive?.unref();
    return this;
  }

  /** @internal the native client, or a ClosedError before start(). */
  _live(operation) {
    if (this._native) return this._native;
    const why = this.#closing ? 'is closed' : 'is not started (call start() first)';
    throw new ClosedError(`the ${this.#what} ${why}`, { operation });
  }

  /** @internal whether the client holds the event loop while open. */
  _serves() {
    return false;
  }

  #hold() {
    // One long timer: the loop stays alive without waking up.
    this.#keepAlive = setInterval(() => {}, 2 ** 30);
    if (!this.#refed) this.#keepAlive.unref();
  }

  #release() {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
  }
}

module.exports = { Client };
