// Partial PDFs to r_max = 20 Å (dr = 0.01 Å) of random periodic boxes at 0.08 atoms/Å³, 3 elements:
// CellListKernel on 1 thread and on all threads for 10⁴ and 10⁵ atoms, AllPairsKernel on 10⁴ atoms.
// items/s = atoms/s. Results: docs/performance.md.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <map>
#include <random>

#include "sedpdf/simulate/partial_pdf.hpp"

namespace {

using namespace sedpdf;

const Structure& random_box(int64_t n) {
  static std::map<int64_t, Structure> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  const double rho = 0.08;  // atoms/Å³
  const double L = std::cbrt(static_cast<double>(n) / rho);
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Structure s;
  s.title = "random box";
  s.cell = Cell::orthorhombic(L, L, L);
  const int z[3] = {8, 14, 30};
  for (int64_t i = 0; i < n; ++i) {
    Atom a;
    a.element = Element::from_z(z[i % 3]);
    a.pos = Position(u(rng) * L, u(rng) * L, u(rng) * L);
    s.atoms.push_back(a);
  }
  return cache.emplace(n, std::move(s)).first->second;
}

void run(benchmark::State& state, const PairHistogramKernel& kernel) {
  const Structure& s = random_box(state.range(0));
  PartialPdfOptions opt;
  opt.r_max = 20.0;
  opt.dr = 0.01;
  opt.threads = state.range(1) > 0 ? static_cast<int>(state.range(1)) : omp_get_max_threads();
  for (auto _ : state) {
    PartialPdfs p = compute_partial_pdfs(s, opt, &kernel);
    benchmark::DoNotOptimize(p.g.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["threads"] = opt.threads;
}

void BM_PartialPdf_CellList(benchmark::State& state) { run(state, CellListKernel()); }
void BM_PartialPdf_AllPairs(benchmark::State& state) { run(state, AllPairsKernel()); }

}  // namespace

// Args: {atoms, threads (0 = all)}
BENCHMARK(BM_PartialPdf_CellList)
    ->Args({10000, 1})
    ->Args({10000, 0})
    ->Args({100000, 1})
    ->Args({100000, 0})
    ->ArgNames({"atoms", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PartialPdf_AllPairs)
    ->Args({10000, 1})
    ->ArgNames({"atoms", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
