// autocannon ships no types; this declares the part of its API the harness uses.
declare module 'autocannon' {
  namespace autocannon {
    interface Client {
      setHeadersAndBody(headers: Record<string, string>, body: string): void;
    }
    interface Options {
      url: string;
      method?: string;
      connections?: number;
      duration?: number;
      timeout?: number;
      headers?: Record<string, string>;
      body?: string;
      setupClient?: (client: Client) => void;
    }
    interface Histogram {
      average: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
    }
    interface Result {
      duration: number;
      requests: Histogram & { total: number };
      latency: Histogram;
      non2xx: number;
      errors: number;
      timeouts: number;
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
