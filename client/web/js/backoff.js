// Reconnect delays, as the terminal client's (client/backoff.cpp): 0.5 s, 1 s, 2 s, 4 s, then every 5 s,
// each varied by ±20% so that the clients a server restart dropped do not all come back at the same moment.
// The cap is low so that a server back in a few seconds is in use again within seconds.
export class Backoff {
  constructor({ firstMs = 500, capMs = 5000, jitter = 0.2, random = Math.random } = {}) {
    this.firstMs = firstMs;
    this.capMs = capMs;
    this.jitter = jitter;
    this.random = random;
    this.attempt = 0;
  }

  // The delay before the next attempt, in milliseconds.
  next() {
    const base = Math.min(this.firstMs * 2 ** this.attempt, this.capMs);
    this.attempt += 1;
    return Math.round(base * (1 + (this.random() * 2 - 1) * this.jitter));
  }

  // Once a connection is good again (logged in), the next drop starts from the first delay.
  reset() {
    this.attempt = 0;
  }
}
