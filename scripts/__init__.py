"""Developer scripts (benchmarks, screenshots); a package so ``scripts.bench_workstation`` imports resolve."""
