// sedpdf/reduce/decompose.hpp — the unmixing stage as one call: read a reduced cube (per scan position
// G(r), φ(s) or I(s)) from HDF5, decompose it by PCA, PCA + FastICA or NMF, write component signals and
// loading maps with every parameter, the component count and its reason, and the convergence record.
// File layouts: docs/formats.md ("Reduced cubes (input of decompose)", "Decomposition output");
// methods and conventions: docs/unmixing.md.
#pragma once
#include <Eigen/Dense>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/reduce/ica.hpp"
#include "sedpdf/reduce/nmf.hpp"
#include "sedpdf/reduce/pca.hpp"
#include "sedpdf/reduce/vca.hpp"

namespace sedpdf {

enum class DecompositionMethod { Pca, Ica, Nmf, Vca };
/// "pca", "ica", "nmf", "vca" (throws std::invalid_argument naming the value otherwise).
DecompositionMethod parse_decomposition_method(const std::string& name);
std::string decomposition_method_name(DecompositionMethod m);

struct DecomposeOptions {
  DecompositionMethod method = DecompositionMethod::Ica;
  int n_components = 0;      ///< 0 = automatic (PCA count above the noise floor)
  uint64_t seed = 0;         ///< every random choice (PCA test matrix, permutations, ICA W₀, NMF init)
  int threads = 0;           ///< OpenMP threads (results are bit-identical at any count); 0 = OpenMP default
  PcaOptions pca;            ///< n_components, seed and threads are taken from above
  FastIcaSettings fastica;   ///< seed is taken from above
  IcaDomain ica_domain = IcaDomain::Signals;
  NmfSolver nmf_solver = NmfSolver::Hals;
  NmfInit nmf_init = NmfInit::Nndsvda;
  int nmf_max_iter = 500;
  double nmf_tol = 1e-7;
  double vca_extreme_fraction = 0.02;  ///< VCA: fraction of pixels averaged per endmember (vca.hpp)
};

/// One result for every method: X (n × p) ≈ loadings · components (+ the PCA mean when centred).
struct Decomposition {
  DecompositionMethod method = DecompositionMethod::Ica;
  /// k × p signals. PCA: orthonormal rows in the preprocessed space (multiplied by col_scale with
  /// Poisson scaling); ICA / NMF: data units, max |loading| = 1 (docs/unmixing.md).
  Eigen::MatrixXd components;
  Eigen::MatrixXd loadings;              ///< n × k (PCA: scores U S, times row_scale with Poisson)
  Eigen::VectorXd contribution_ratio;    ///< per component ||L_i C_iᵀ||² / ||X − mean||² (docs/unmixing.md)
  PcaResult pca;                         ///< spectrum, scree, count (ICA: the whitening PCA; NMF: count / init)
  bool converged = true;                 ///< PCA: always true
  int iterations = 0;
  double final_change = 0;
  std::vector<int> component_iterations;
  std::vector<double> component_changes;
  std::string message;                   ///< non-convergence message, empty otherwise
  Eigen::MatrixXd unmixing;              ///< ICA rotation W (final order), else empty
  double relative_error = 0;             ///< NMF ||X − L C||/||X||; PCA/ICA: of the rank-k reconstruction
};

/// Decomposes X (n samples × p features). Errors (std::invalid_argument, naming the value / entry):
/// non-finite data; negative data for NMF or Poisson scaling; more components than min(n, p) or the
/// numerical rank; an automatic count of 0; bad parameters.
Decomposition decompose(const Eigen::MatrixXd& X, const DecomposeOptions& opt);

// ---------------------------------------------------------------------------------------------------
// Reduced cubes on disk
// ---------------------------------------------------------------------------------------------------

/// Which part of a reduced-cube HDF5 file to decompose (docs/formats.md).
struct CubeSelection {
  std::string dataset = "/reduced/G";    ///< (ny, nx, n) or (n_pixels, n) dataset
  std::string abscissa = "/reduced/r";   ///< (n) abscissa, increasing (Å for r, Å⁻¹ for s)
  double abscissa_min = -std::numeric_limits<double>::infinity();  ///< window, abscissa units, inclusive
  double abscissa_max = std::numeric_limits<double>::infinity();
  std::string mask;                      ///< optional (ny, nx) dataset in the same file: non-zero = use
  std::string exclude;                   ///< optional (ny, nx) dataset: non-zero = leave out (e.g. /reduced/failed)
};

struct SignalCube {
  std::string file;                      ///< where it came from
  CubeSelection selection;
  size_t ny = 0, nx = 0;                 ///< scan shape
  std::vector<double> abscissa;          ///< the windowed abscissa (n values)
  size_t abscissa_offset = 0;            ///< index of abscissa[0] in the file
  std::string abscissa_units, data_units;///< "units" attributes ("" when absent)
  std::vector<unsigned char> used;       ///< ny·nx, 1 = scan position decomposed (row-major y, x)
  std::vector<size_t> pixel;             ///< per matrix row: y·nx + x
  Eigen::MatrixXd data;                  ///< n_used × n
  /// "pixel (y=3, x=7), r = 2.31 Å" for matrix entry (row, col); the abscissa name is the last part of
  /// the abscissa path.
  std::string describe(Eigen::Index row, Eigen::Index col) const;
};

/// Restricts the cube to the scan positions with keep[y·nx + x] != 0 (rows kept in order; `used` updated).
/// Throws std::invalid_argument if keep does not have ny·nx entries or fewer than 3 rows remain.
void keep_pixels(SignalCube& cube, const std::vector<uint8_t>& keep);

/// Reads the selection. Throws InputError (file, dataset path) for: a missing dataset; a rank other
/// than 2 or 3; an abscissa whose length differs from the last dimension, is not finite or not strictly
/// increasing; an empty window; a mask / exclude map of the wrong shape; fewer than 2 positions left;
/// a non-finite value in a used pixel (named by pixel and abscissa value).
SignalCube read_signal_cube(const std::string& path, const CubeSelection& sel);

/// decompose() with input errors named by pixel and abscissa (InputError on the cube's file/dataset):
/// negative values for NMF / Poisson scaling are checked here first.
Decomposition decompose(const SignalCube& cube, const DecomposeOptions& opt);

/// Writes /decomposition (docs/formats.md) atomically: abscissa, components (k, n), loadings (k, ny, nx)
/// with NaN at unused positions, the spectrum, count, convergence and every option as attributes;
/// `extra_attributes` go on /decomposition too (e.g. the config file).
void write_decomposition(const std::string& path, const SignalCube& cube, const Decomposition& d,
                         const DecomposeOptions& opt,
                         const std::vector<std::pair<std::string, std::string>>& extra_attributes = {});

}  // namespace sedpdf
