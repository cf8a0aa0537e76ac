import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** A process and its descendants (a WORKERS > 1 gateway is a primary and its workers). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i += 1) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8');
      for (const child of children.trim().split(/\s+/)) if (child) pids.push(Number(child));
    } catch {}
  }
  return pids;
}

/** User + system CPU time of a process and its descendants (all threads), in ms. */
export function cpuTimeMs(pid: number): number {
  return processTree(pid).reduce((sum, each) => sum + ownCpuTimeMs(each), 0);
}

function ownCpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

export interface MemoryFigures {
  /** Resident set size now, MiB. */
  rssMiB: number;
  /** Peak resident set size since the process started (VmHWM), MiB. */
  hwmMiB: number;
}

/** Memory of a process and its descendants, summed (each one's own peak, for VmHWM). */
export function memory(pid: number): MemoryFigures {
  const total = { rssMiB: 0, hwmMiB: 0 };
  for (const each of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${each}/status`, 'utf8');
      const kib = (name: string) =>
        Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      total.rssMiB += kib('VmRSS') / 1024;
      total.hwmMiB += kib('VmHWM') / 1024;
    } catch {}
  }
  return total;
}

export interface MemorySampler {
  /** Highest VmRSS seen while sampling, MiB. */
  readonly peakRssMiB: number;
  /** Every sample: ms since the sampler started, and VmRSS in MiB. */
  readonly samples: ReadonlyArray<{ atMs: number; rssMiB: number }>;
  stop(): MemoryFigures;
}

/** Samples VmRSS every `everyMs` until stopped. */
export function sampleMemory(pid: number, everyMs = 250): MemorySampler {
  const started = performance.now();
  const samples: Array<{ atMs: number; rssMiB: number }> = [];
  let peak = 0;
  const take = () => {
    try {
      const { rssMiB } = memory(pid);
      peak = Math.max(peak, rssMiB);
      samples.push({ atMs: Math.round(performance.now() - started), rssMiB });
    } catch {}
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    get peakRssMiB() {
      return peak;
    },
    samples,
    stop() {
      clearInterval(timer);
      take();
      return memory(pid);
    },
  };
}

/** CPU time of this process and the children it has reaped (wrk, once it exits), in ms. */
export function ownAndReapedCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** The whole machine's CPU time, busy and total, all cores, in ms (from /proc/stat). */
export function machineCpuMs(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  const busy =
    (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  const total = busy + (idle ?? 0) + (iowait ?? 0);
  return { busyMs: (busy * 1000) / TICKS_PER_SECOND, totalMs: (total * 1000) / TICKS_PER_SECOND };
}

/**
 * Splits the machine's CPU over a window into ours (the given processes, this one and the load
 * generator) and everyone else's. On a shared 2-core machine, other processes (a test run next
 * door) take CPU from the servers and make a run's figures worthless: this says when.
 */
export function startCpuAccount(pids: number[]) {
  const cpuOf = () => pids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0) + ownAndReapedCpuMs();
  const ours0 = cpuOf();
  const machine0 = machineCpuMs();
  return () => {
    const machine1 = machineCpuMs();
    const totalMs = machine1.totalMs - machine0.totalMs;
    const busyMs = machine1.busyMs - machine0.busyMs;
    const oursMs = cpuOf() - ours0;
    return {
      /** Share of all cores used by other processes. */
      othersShare: totalMs > 0 ? Math.max(0, busyMs - oursMs) / totalMs : 0,
      /** Share of all cores idle. */
      idleShare: totalMs > 0 ? (totalMs - busyMs) / totalMs : 0,
    };
  };
}
