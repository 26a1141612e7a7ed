#include "sedpdf/simulate/bessel.hpp"

#include <cmath>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

double bessel_j(int n, double x) {
  double sign = 1;
  if (x < 0) {
    x = -x;
    if (n == 1) sign = -1;  // J₁ is odd, J₀ even
  }
  if (x < 12) {
    // A&S 9.1.10: J_n(x) = (x/2)^n Σ_k (−x²/4)^k / (k! (n + k)!).
    const double y = -0.25 * x * x;
    double term = n == 0 ? 1.0 : 0.5 * x;
    double sum = term;
    for (int k = 1; k < 60; ++k) {
      term *= y / (static_cast<double>(k) * static_cast<double>(k + n));
      sum += term;
      if (std::fabs(term) < 1e-17 * (1 + std::fabs(sum)) && k > 2) break;
    }
    return sign * sum;
  }
  // A&S 9.2.5–9.2.10: J_n(x) = sqrt(2/(πx)) [P cos χ − Q sin χ], χ = x − (n/2 + 1/4)π, μ = 4n²,
  // P = Σ_{k even} (−1)^{k/2} a_k, Q = Σ_{k odd} (−1)^{(k−1)/2} a_k, a_k = Π_{i≤k}(μ − (2i−1)²)/(k! (8x)^k).
  const double mu = 4.0 * n * n, z = 8 * x;
  double P = 1, Q = 0, a = 1, last = 1;
  for (int k = 1; k < 60; ++k) {
    const double odd = 2.0 * k - 1;
    a *= (mu - odd * odd) / (static_cast<double>(k) * z);
    if (std::fabs(a) > last || a == 0) break;
    last = std::fabs(a);
    switch (k % 4) {
      case 1: Q += a; break;
      case 2: P -= a; break;
      case 3: Q -= a; break;
      default: P += a; break;
    }
    if (last < 1e-17) break;
  }
  const double chi = x - (0.5 * n + 0.25) * kPi;
  return sign * std::sqrt(2 / (kPi * x)) * (P * std::cos(chi) - Q * std::sin(chi));
}

}  // namespace sedpdf
