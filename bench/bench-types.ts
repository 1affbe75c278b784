/** One figure a benchmark prints, with its baseline (measured in the same run) and target. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** Baseline measured in the same run, same unit; the ratio value/baseline is printed. */
  baseline?: number;
  /** e.g. "<= 300" or ">= 60"; checked and printed as met / MISSED. */
  target?: string;
  note?: string;
}

export interface BenchResult {
  benchmark: string;
  figures: BenchFigure[];
  /** Free-form details (sample counts, settings) kept in the JSON output. */
  details?: Record<string, unknown>;
}

export interface BenchOptions {
  /** Smoke run: small sizes and counts, seconds not minutes. */
  quick: boolean;
  /** Where to write temporary files. */
  workDir: string;
  log: (line: string) => void;
  /** `--profile`: benchmarks that run the bridge as a child process start it with `--cpu-prof`. */
  profile?: boolean;
  /** Where `--profile` writes .cpuprofile files (bench/results/). */
  resultsDir?: string;
}

export type Benchmark = (options: BenchOptions) => Promise<BenchResult>;
