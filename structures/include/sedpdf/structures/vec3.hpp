// sedpdf/structures/vec3.hpp — 3-vectors and 3x3 matrices; Position (Cartesian, Å) and Fractional
// (cell coordinates) are distinct types so the frame of a coordinate is never ambiguous.
#pragma once
#include <array>
#include <cmath>

namespace sedpdf {

struct Vec3 {
  double x = 0, y = 0, z = 0;
  constexpr Vec3() = default;
  constexpr Vec3(double x_, double y_, double z_) : x(x_), y(y_), z(z_) {}
  double& operator[](int i) { return i == 0 ? x : (i == 1 ? y : z); }
  double operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator-() const { return {-x, -y, -z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  Vec3 operator/(double s) const { return {x / s, y / s, z / s}; }
  Vec3& operator+=(const Vec3& o) { x += o.x; y += o.y; z += o.z; return *this; }
  Vec3& operator-=(const Vec3& o) { x -= o.x; y -= o.y; z -= o.z; return *this; }
  Vec3& operator*=(double s) { x *= s; y *= s; z *= s; return *this; }
  double dot(const Vec3& o) const { return x * o.x + y * o.y + z * o.z; }
  Vec3 cross(const Vec3& o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
  double length_sq() const { return dot(*this); }
  double length() const { return std::sqrt(length_sq()); }
};
inline Vec3 operator*(double s, const Vec3& v) { return v * s; }

/// Cartesian position in Å.
struct Position : Vec3 {
  using Vec3::Vec3;
  constexpr Position() = default;
  explicit Position(const Vec3& v) : Vec3(v) {}
};

/// Fractional (cell) coordinates, dimensionless.
struct Fractional : Vec3 {
  using Vec3::Vec3;
  constexpr Fractional() = default;
  explicit Fractional(const Vec3& v) : Vec3(v) {}
};

/// Row-major 3x3 matrix.
struct Mat33 {
  std::array<double, 9> m{1, 0, 0, 0, 1, 0, 0, 0, 1};
  double& operator()(int r, int c) { return m[3 * r + c]; }
  double operator()(int r, int c) const { return m[3 * r + c]; }
  Vec3 operator*(const Vec3& v) const {
    return {m[0] * v.x + m[1] * v.y + m[2] * v.z, m[3] * v.x + m[4] * v.y + m[5] * v.z,
            m[6] * v.x + m[7] * v.y + m[8] * v.z};
  }
  Mat33 operator*(const Mat33& o) const {
    Mat33 r;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        double s = 0;
        for (int k = 0; k < 3; ++k) s += (*this)(i, k) * o(k, j);
        r(i, j) = s;
      }
    return r;
  }
  double determinant() const {
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
           m[2] * (m[3] * m[7] - m[4] * m[6]);
  }
  Mat33 transpose() const {
    Mat33 r;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) r(i, j) = (*this)(j, i);
    return r;
  }
  /// Inverse; the caller guarantees a non-zero determinant.
  Mat33 inverse() const {
    const double d = determinant();
    Mat33 r;
    r(0, 0) = (m[4] * m[8] - m[5] * m[7]) / d;
    r(0, 1) = (m[2] * m[7] - m[1] * m[8]) / d;
    r(0, 2) = (m[1] * m[5] - m[2] * m[4]) / d;
    r(1, 0) = (m[5] * m[6] - m[3] * m[8]) / d;
    r(1, 1) = (m[0] * m[8] - m[2] * m[6]) / d;
    r(1, 2) = (m[2] * m[3] - m[0] * m[5]) / d;
    r(2, 0) = (m[3] * m[7] - m[4] * m[6]) / d;
    r(2, 1) = (m[1] * m[6] - m[0] * m[7]) / d;
    r(2, 2) = (m[0] * m[4] - m[1] * m[3]) / d;
    return r;
  }
};

}  // namespace sedpdf
