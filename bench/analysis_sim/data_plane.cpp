#include "bench/analysis_sim/data_plane.h"

#include <algorithm>
#include <cmath>

namespace mr::analysis_sim {

namespace {
// Up to this many labelled requests per draw, each absolute error is drawn on its own.
constexpr std::uint64_t kExactAbsErrors = 64;
}  // namespace

RoleCounters RoleCounters::minus(const RoleCounters& e) const {
  RoleCounters d;
  d.requests = requests - e.requests;
  d.errors = errors - e.errors;
  for (std::size_t i = 0; i < latency.size(); ++i)
    d.latency[i] = latency[i] - e.latency[i];
  for (std::size_t i = 0; i < prediction.size(); ++i) {
    d.prediction[i] = prediction[i] - e.prediction[i];
  }
  d.abs_count = abs_count - e.abs_count;
  d.abs_sum = abs_sum - e.abs_sum;
  d.abs_sum_sq = abs_sum_sq - e.abs_sum_sq;
  return d;
}

DataPlane::DataPlane(RoleBehaviour stable, RoleBehaviour canary, std::string stable_revision,
                     std::string canary_revision, double rps, SystemTime start, std::uint64_t seed)
    : behaviour_{std::move(stable), std::move(canary)},
      revision_{std::move(stable_revision), std::move(canary_revision)},
      rps_(rps),
      rng_(seed) {
  for (std::size_t r = 0; r < 2; ++r)
    latency_p_[r] = behaviour_[r].latencyBucketProbabilities();
  snapshots_.push_back({start, {}});
}

const std::string& DataPlane::revision(Role r) const {
  return revision_[index(r)];
}

template <std::size_t N>
void DataPlane::multinomial(std::uint64_t n, const std::array<double, N>& p,
                            std::array<double, N>& out) {
  double rest = 1.0;
  for (std::size_t i = 0; i < N && n > 0; ++i) {
    const std::uint64_t k =
        i + 1 == N || rest <= 0 ? n : rng_.binomial(n, std::clamp(p[i] / rest, 0.0, 1.0));
    out[i] += static_cast<double>(k);
    n -= k;
    rest -= p[i];
  }
}

void DataPlane::absoluteErrors(const AbsErrorModel& m, std::uint64_t n, RoleCounters& c) {
  if (n == 0) return;
  c.abs_count += static_cast<double>(n);
  if (m.kind == AbsErrorKind::kZeroOne) {
    const double k = static_cast<double>(rng_.binomial(n, m.scale));
    c.abs_sum += k;
    c.abs_sum_sq += k;
    return;
  }
  if (n <= kExactAbsErrors) {
    for (std::uint64_t i = 0; i < n; ++i) {
      const double x = m.kind == AbsErrorKind::kHalfNormal ? std::fabs(m.scale * rng_.normal())
                                                           : rng_.beta(m.shape_a, m.shape_b);
      c.abs_sum += x;
      c.abs_sum_sq += x * x;
    }
    return;
  }
  // (sum X, sum X^2) is close to bivariate normal with mean n (m1, m2) and covariance
  // n [[m2 - m1^2, m3 - m1 m2], [m3 - m1 m2, m4 - m2^2]] (central limit theorem).
  const auto mo = m.moments();
  const double nd = static_cast<double>(n);
  const double v11 = mo[1] - mo[0] * mo[0], v12 = mo[2] - mo[0] * mo[1],
               v22 = mo[3] - mo[1] * mo[1];
  const double a = std::sqrt(std::max(0.0, v11));
  const double b = a > 0 ? v12 / a : 0;
  const double cc = std::sqrt(std::max(0.0, v22 - b * b));
  const double z1 = rng_.normal(), z2 = rng_.normal();
  c.abs_sum += std::max(0.0, nd * mo[0] + std::sqrt(nd) * a * z1);
  c.abs_sum_sq += std::max(0.0, nd * mo[1] + std::sqrt(nd) * (b * z1 + cc * z2));
}

void DataPlane::serve(const RoleBehaviour& b, const std::array<double, kLatencyBuckets>& lat,
                      std::uint64_t n, RoleCounters& c) {
  if (n == 0) return;
  c.requests += static_cast<double>(n);
  c.errors += static_cast<double>(rng_.binomial(n, b.error_rate));
  multinomial(n, lat, c.latency);
  multinomial(n, b.prediction_bins, c.prediction);
  absoluteErrors(b.abs_error, rng_.binomial(n, b.label_fraction), c);
}

void DataPlane::advance(SystemTime now, int canary_weight) {
  Snapshot next = snapshots_.back();
  const double dt = std::chrono::duration<double>(now - next.time).count();
  if (dt <= 0) return;
  next.time = now;
  const double w = std::clamp(canary_weight, 0, 100) / 100.0;
  // Two independent Poisson streams are the same as one split by a coin per request.
  serve(behaviour_[1], latency_p_[1], rng_.poisson(rps_ * dt * w), next.roles[1]);
  serve(behaviour_[0], latency_p_[0], rng_.poisson(rps_ * dt * (1 - w)), next.roles[0]);
  snapshots_.push_back(std::move(next));
}

const DataPlane::Snapshot& DataPlane::at(SystemTime t) const {
  auto it = std::upper_bound(snapshots_.begin(), snapshots_.end(), t,
                             [](SystemTime v, const Snapshot& s) { return v < s.time; });
  return it == snapshots_.begin() ? snapshots_.front() : *(it - 1);
}

bool DataPlane::increase(Role role, SystemTime now, Millis range, RoleCounters& out) const {
  const Snapshot& end = at(now);
  const RoleCounters& c = end.roles[index(role)];
  if (c.requests <= 0) return false;
  out = c.minus(at(now - range).roles[index(role)]);
  return true;
}

}  // namespace mr::analysis_sim
