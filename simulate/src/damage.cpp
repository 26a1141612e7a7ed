// The two-state beam-damage model (damage.hpp).
#include "sedpdf/simulate/damage.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

void DamageModel::check(const std::string& what) const {
  auto bad = [&](const std::string& field, double v, const std::string& need) {
    std::ostringstream m;
    m << what << ": damage " << field << " = " << v << " " << need;
    throw std::invalid_argument(m.str());
  };
  if (std::isnan(critical_dose) || !(critical_dose > 0)) bad("critical_dose", critical_dose, "must be > 0 (e⁻/Å²; inf = no damage)");
  if (!std::isfinite(pair_sigma_A) || pair_sigma_A < 0) bad("pair_sigma", pair_sigma_A, "must be finite and >= 0 (Å)");
  if (!std::isfinite(r_intact_A) || r_intact_A < 0) bad("r_intact", r_intact_A, "must be finite and >= 0 (Å)");
  if (!std::isfinite(mass_loss) || mass_loss < 0 || mass_loss >= 1) bad("mass_loss", mass_loss, "must be in [0, 1)");
}

double damaged_fraction(const DamageModel& m, double dose_from, double dose_to) {
  if (!(dose_from >= 0) || !(dose_to >= dose_from) || !std::isfinite(dose_to)) {
    std::ostringstream e;
    e << "damaged fraction: dose interval [" << dose_from << ", " << dose_to << "] e⁻/Å² must be finite with 0 <= from <= to";
    throw std::invalid_argument(e.str());
  }
  if (!m.active()) return 0.0;
  const double dc = m.critical_dose, a = dose_from / dc, b = dose_to / dc;
  if (b - a < 1e-8) return -std::expm1(-0.5 * (a + b));  // the interval's midpoint (the integral's limit)
  // 1 − (e^{−a} − e^{−b}) / (b − a), with e^{−a} − e^{−b} = e^{−a}(1 − e^{−(b−a)}) = −e^{−a} expm1(−(b − a)).
  return 1.0 + std::exp(-a) * std::expm1(-(b - a)) / (b - a);
}

StateWeights state_weights(const DamageModel& m, double dose_from, double dose_to) {
  StateWeights w;
  w.damaged_fraction = damaged_fraction(m, dose_from, dose_to);
  w.intact = 1 - w.damaged_fraction;
  w.damaged = w.damaged_fraction * (1 - m.mass_loss);
  return w;
}

PartialPdfs smear_pairs_beyond(const PartialPdfs& p, double sigma_A, double r_intact_A) {
  if (!p.periodic) throw std::invalid_argument("smear_pairs_beyond: periodic models only (got a finite cluster)");
  if (!std::isfinite(sigma_A) || sigma_A < 0 || !std::isfinite(r_intact_A) || r_intact_A < 0) {
    std::ostringstream m;
    m << "smear_pairs_beyond: sigma = " << sigma_A << " Å and r_intact = " << r_intact_A << " Å must be finite and >= 0";
    throw std::invalid_argument(m.str());
  }
  PartialPdfs out = p;
  if (sigma_A == 0) return out;
  const size_t nb = p.r.size();
  const double dr = p.dr, volume = p.n_atoms / p.number_density;
  const auto reach = static_cast<size_t>(std::ceil(8 * sigma_A / dr)) + 1;  // ±8σ: the tails' weight < 1e-15
  // Bins beyond r_max (up to one reach) hold the uniform count (g = 1): the pairs that smear in from there
  // replace those that smear out of the histogram.
  const size_t nv = nb + reach;
  std::vector<double> edge(nv + 1), centre(nv), shell(nv);
  for (size_t k = 0; k <= nv; ++k) edge[k] = k <= nb ? std::min(static_cast<double>(k) * dr, p.r_max)
                                                     : p.r_max + static_cast<double>(k - nb) * dr;
  for (size_t k = 0; k < nv; ++k) {
    centre[k] = k < nb ? p.r[k] : 0.5 * (edge[k] + edge[k + 1]);
    shell[k] = 4.0 * kPi / 3.0 * (std::pow(edge[k + 1], 3) - std::pow(edge[k], 3));
  }
  const double inv = 1.0 / (std::sqrt(2.0) * sigma_A);
  for (size_t q = 0; q < p.pairs.size(); ++q) {
    const auto [a, b] = p.pairs[q];
    const double factor = (a == b ? 2.0 : 1.0) * volume /
                          (p.counts[static_cast<size_t>(a)] * p.counts[static_cast<size_t>(b)]);
    // Pair counts per bin (the virtual bins: the uniform count shell / factor).
    std::vector<double> out_counts(nb, 0.0);
    for (size_t k = 0; k < nv; ++k) {
      const double c = k < nb ? p.pair_counts[q][k] : shell[k] / factor;
      if (c == 0) continue;
      if (centre[k] < r_intact_A) {
        if (k < nb) out_counts[k] += c;
        continue;
      }
      // Spread over the bins by the bin integrals of N(r; r_k, σ); what falls below 0 is lost (r_intact ≫ σ).
      const size_t k0 = k > reach ? k - reach : 0, k1 = std::min(nb - 1, k + reach);
      if (k0 > k1) continue;
      double lo = 0.5 * std::erfc(-(edge[k0] - centre[k]) * inv);
      for (size_t j = k0; j <= k1; ++j) {
        const double hi = 0.5 * std::erfc(-(edge[j + 1] - centre[k]) * inv);
        out_counts[j] += c * (hi - lo);
        lo = hi;
      }
    }
    for (size_t k = 0; k < nb; ++k) {
      out.pair_counts[q][k] = out_counts[k];
      out.g[q][k] = factor * out_counts[k] / shell[k];
    }
  }
  return out;
}

}  // namespace sedpdf
