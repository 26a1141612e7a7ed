#include "sedpdf/structures/cell.hpp"
#include "sedpdf/structures/constants.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

Cell Cell::from_vectors(const Vec3& a, const Vec3& b, const Vec3& c, std::array<bool, 3> periodic) {
  Cell cell;
  for (int i = 0; i < 3; ++i) {
    const Vec3& v = i == 0 ? a : (i == 1 ? b : c);
    cell.m_(0, i) = v.x;
    cell.m_(1, i) = v.y;
    cell.m_(2, i) = v.z;
  }
  const double vol = cell.m_.determinant();
  if (!std::isfinite(vol) || vol <= 0.0) {
    std::ostringstream msg;
    msg << "cell volume " << vol << " Å³ is " << (std::isfinite(vol) ? (vol == 0 ? "zero" : "negative (left-handed vectors)") : "not finite")
        << "; lattice vectors a=(" << a.x << ", " << a.y << ", " << a.z << ") b=(" << b.x << ", " << b.y
        << ", " << b.z << ") c=(" << c.x << ", " << c.y << ", " << c.z << ")";
    throw std::invalid_argument(msg.str());
  }
  cell.inv_ = cell.m_.inverse();
  cell.periodic_ = periodic;
  cell.has_vectors_ = true;
  cell.ortho_ = cell.is_orthorhombic();
  return cell;
}

Cell Cell::from_parameters(double a, double b, double c, double alpha, double beta, double gamma,
                           std::array<bool, 3> periodic) {
  const double p[6] = {a, b, c, alpha, beta, gamma};
  const char* names[6] = {"a", "b", "c", "alpha", "beta", "gamma"};
  for (int i = 0; i < 6; ++i) {
    const bool bad = !std::isfinite(p[i]) || p[i] <= 0 || (i >= 3 && p[i] >= 180);
    if (bad) {
      std::ostringstream msg;
      msg << "impossible cell parameter " << names[i] << " = " << p[i] << (i < 3 ? " Å" : " degrees");
      throw std::invalid_argument(msg.str());
    }
  }
  const double ca = std::cos(alpha * kPi / 180), cb = std::cos(beta * kPi / 180);
  const double cg = std::cos(gamma * kPi / 180), sg = std::sin(gamma * kPi / 180);
  const Vec3 va{a, 0, 0};
  const Vec3 vb{b * cg, b * sg, 0};
  const double cx = c * cb;
  const double cy = c * (ca - cb * cg) / sg;
  const double cz2 = c * c - cx * cx - cy * cy;
  if (!(cz2 > 0)) {
    std::ostringstream msg;
    msg << "cell angles alpha=" << alpha << " beta=" << beta << " gamma=" << gamma
        << " degrees give zero or imaginary volume";
    throw std::invalid_argument(msg.str());
  }
  return from_vectors(va, vb, Vec3{cx, cy, std::sqrt(cz2)}, periodic);
}

std::array<double, 6> Cell::parameters() const {
  const Vec3 a = vector(0), b = vector(1), c = vector(2);
  auto ang = [](const Vec3& u, const Vec3& v) {
    return std::acos(std::max(-1.0, std::min(1.0, u.dot(v) / (u.length() * v.length())))) * 180 / kPi;
  };
  return {a.length(), b.length(), c.length(), ang(b, c), ang(a, c), ang(a, b)};
}

bool Cell::is_orthorhombic() const {
  if (!has_vectors_) return false;
  const Vec3 a = vector(0), b = vector(1), c = vector(2);
  const double tol = 1e-9;
  return std::abs(a.dot(b)) <= tol * a.length() * b.length() &&
         std::abs(a.dot(c)) <= tol * a.length() * c.length() &&
         std::abs(b.dot(c)) <= tol * b.length() * c.length();
}

double Cell::perpendicular_width(int axis) const {
  if (!has_vectors_) return std::numeric_limits<double>::infinity();
  const Vec3 u = vector((axis + 1) % 3), v = vector((axis + 2) % 3);
  return volume() / u.cross(v).length();
}

double Cell::minimum_image_radius() const {
  double r = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 3; ++i)
    if (periodic_[i]) r = std::min(r, 0.5 * perpendicular_width(i));
  return r;
}

Fractional Cell::wrap(const Fractional& f) const {
  Fractional w = f;
  for (int i = 0; i < 3; ++i)
    if (periodic_[i]) {
      w[i] -= std::floor(w[i]);
      if (w[i] >= 1.0) w[i] = 0.0;  // guard against -1e-17 -> 1.0 after floor
    }
  return w;
}

Vec3 Cell::minimum_image(const Vec3& d) const {
  if (!has_vectors_ || !any_periodic()) return d;
  Fractional f(inv_ * d);
  for (int i = 0; i < 3; ++i)
    if (periodic_[i]) f[i] -= std::round(f[i]);
  Vec3 best = m_ * f;
  if (ortho_) return best;
  double best2 = best.length_sq();
  const Vec3 base = best;
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j)
      for (int k = -1; k <= 1; ++k) {
        if ((i && !periodic_[0]) || (j && !periodic_[1]) || (k && !periodic_[2])) continue;
        const Vec3 cand = base + vector(0) * i + vector(1) * j + vector(2) * k;
        const double c2 = cand.length_sq();
        if (c2 < best2) {
          best2 = c2;
          best = cand;
        }
      }
  return best;
}

}  // namespace sedpdf
