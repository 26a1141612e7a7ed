// sedpdf/structures/constants.hpp — the one place for mathematical and physical constants (CODATA 2018
// exact or recommended values). Every stage includes this; no file defines its own copy.
#pragma once

namespace sedpdf {

constexpr double kPi = 3.14159265358979323846;
/// Avogadro constant (mol⁻¹), CODATA 2018 exact value.
constexpr double kAvogadro = 6.02214076e23;

}  // namespace sedpdf
