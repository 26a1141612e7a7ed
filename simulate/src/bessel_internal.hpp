// Internal: the Bessel functions of sedpdf/simulate/bessel.hpp under the names the fast and inelastic models
// use (sedpdf::detail).
#pragma once
#include "sedpdf/simulate/bessel.hpp"

namespace sedpdf::detail {

using sedpdf::bessel_j;
using sedpdf::bessel_j0;
using sedpdf::bessel_j1;

}  // namespace sedpdf::detail
