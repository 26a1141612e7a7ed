// Partial PDFs to r_max = 20 Å (dr = 0.01 Å) of random periodic boxes at 0.08 atoms/Å³, 3 elements:
// CellListKernel on 1 thread and on all threads for 10⁴ and 10⁵ atoms, AllPairsKernel on 10⁴ atoms; the
// beam-damage pair smearing of the 10⁴-atom partials.
// items/s = atoms/s. Results: docs/performance.md.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <map>
#include <random>

#include "sedpdf/simulate/damage.hpp"
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

/// The beam-damage model's pair smearing (simulate/damage.hpp) of the 10⁴-atom box's partials (6 pairs, 2000
/// bins) beyond 2.5 Å with σ = arg/100 Å — against the partials' own computation above.
void BM_SmearPairs(benchmark::State& state) {
  PartialPdfOptions opt;
  opt.r_max = 20.0;
  opt.dr = 0.01;
  opt.threads = 1;
  static const PartialPdfs p = compute_partial_pdfs(random_box(10000), opt);
  const double sigma = static_cast<double>(state.range(0)) / 100;
  for (auto _ : state) {
    PartialPdfs q = smear_pairs_beyond(p, sigma, 2.5);
    benchmark::DoNotOptimize(q.g.data());
  }
}

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
BENCHMARK(BM_SmearPairs)->Arg(10)->Arg(30)->ArgNames({"sigma_cA"})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
