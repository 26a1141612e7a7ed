// Benchmarks of the unmixing stage (reduce/pca.hpp, ica.hpp, nmf.hpp, vca.hpp); results in docs/performance.md.
//   VCA of the same 4096 × 500 two-phase matrix (its PCA + the endmember search) beside FastICA
//   FastICA (PCA whitening + FastICA) of a 4096 × 500 matrix, 2 components   target < 50 ms on 2 cores
//   PCA of a 16384 × 1000 matrix                                             target < 1 s on 2 cores
// with plain references for the ratios: the full SVD (QR + BDCSVD) instead of the randomized one.
// The argument is the Eigen thread count (0 = OpenMP default, 2 on the CI machines).
#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include <cmath>
#include <random>

#include "sedpdf/reduce/ica.hpp"
#include "sedpdf/reduce/nmf.hpp"
#include "sedpdf/reduce/pca.hpp"
#include "sedpdf/reduce/vca.hpp"

using namespace sedpdf;
using Eigen::MatrixXd;

namespace {

MatrixXd noise(int rows, int cols, double sigma, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd(0.0, sigma);
  MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = nd(g);
  return m;
}

/// n scan positions × p points: two PDF-like signals (damped sine trains with sparse peaks) mixed by
/// smooth maps, plus 2 % Gaussian noise.
MatrixXd two_phase(int n, int p, uint64_t seed) {
  MatrixXd C(2, p), L(n, 2);
  for (int j = 0; j < p; ++j) {
    const double r = 1.0 + 19.0 * j / p;
    C(0, j) = std::exp(-0.5 * std::pow((r - 2.0) / 0.08, 2)) * 6 + std::sin(2.1 * r) * std::exp(-0.15 * r);
    C(1, j) = std::exp(-0.5 * std::pow((r - 1.55) / 0.06, 2)) * 5 + std::cos(2.9 * r) * std::exp(-0.2 * r);
  }
  for (int i = 0; i < n; ++i) {
    const double f = 0.5 * (1 + std::tanh((std::fmod(i * 0.37, 64.0) - 32) / 6.0));
    L(i, 0) = f;
    L(i, 1) = 1 - f;
  }
  return L * C + noise(n, p, 0.02, seed);
}

MatrixXd low_rank(int n, int p, int rank, uint64_t seed) {
  return noise(n, rank, 1.0, seed) * noise(rank, p, 1.0, seed + 1) + noise(n, p, 0.05, seed + 2);
}

void BM_FastIca_4096x500_k2(benchmark::State& state, IcaAlgorithm alg, SvdSolver solver) {
  const MatrixXd X = two_phase(4096, 500, 1);
  IcaOptions o;
  o.pca.n_components = 2;
  o.pca.solver = solver;
  o.pca.threads = static_cast<int>(state.range(0));
  o.fastica.algorithm = alg;
  int iterations = 0;
  for (auto _ : state) {
    const IcaResult r = fastica(X, o);
    iterations = r.run.iterations;
    benchmark::DoNotOptimize(r.components.data());
  }
  state.counters["ica_iterations"] = iterations;
}

void BM_Pca(benchmark::State& state, int n, int p, int k, SvdSolver solver, int pa_trials) {
  const MatrixXd X = low_rank(n, p, 5, 2);
  PcaOptions o;
  o.n_components = k;
  o.solver = solver;
  o.pa_trials = pa_trials;
  o.threads = static_cast<int>(state.range(0));
  int count = 0;
  for (auto _ : state) {
    const PcaResult r = pca(X, o);
    count = r.count.n_components;
    benchmark::DoNotOptimize(r.components.data());
  }
  state.counters["components"] = count;
}

void BM_Nmf_4096x500_k2(benchmark::State& state) {
  MatrixXd X = two_phase(4096, 500, 3).cwiseAbs();
  NmfOptions o;
  o.n_components = 2;
  o.max_iter = 100;
  o.tol = 1e-300;  // fixed work: 100 HALS iterations
  o.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const NmfResult r = nmf(X, o);
    benchmark::DoNotOptimize(r.components.data());
  }
}

void BM_Vca_4096x500_k2(benchmark::State& state) {
  const MatrixXd X = two_phase(4096, 500, 1);
  VcaOptions o;
  o.pca.n_components = 2;
  o.pca.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const VcaResult r = vca(X, o);
    benchmark::DoNotOptimize(r.components.data());
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_FastIca_4096x500_k2, parallel_randomized, IcaAlgorithm::Parallel, SvdSolver::Auto)
    ->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FastIca_4096x500_k2, deflation_randomized, IcaAlgorithm::Deflation, SvdSolver::Auto)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FastIca_4096x500_k2, parallel_full_svd_reference, IcaAlgorithm::Parallel, SvdSolver::Full)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Pca, randomized_16384x1000_k10, 16384, 1000, 10, SvdSolver::Randomized, 0)
    ->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Pca, randomized_16384x1000_auto, 16384, 1000, 0, SvdSolver::Randomized, 0)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Pca, randomized_16384x1000_auto_pa10, 16384, 1000, 0, SvdSolver::Randomized, 10)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_Pca, full_svd_16384x1000_reference, 16384, 1000, 10, SvdSolver::Full, 0)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_Pca, randomized_4096x500_k10, 4096, 500, 10, SvdSolver::Randomized, 0)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Pca, full_svd_4096x500_reference, 4096, 500, 10, SvdSolver::Full, 0)
    ->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Nmf_4096x500_k2)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Vca_4096x500_k2)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
