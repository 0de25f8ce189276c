// MetricsStore: the simulator's cumulative model-server metrics, one series set per
// (namespace, rollout, role, revision), exported in the pinned metric contract:
//   model_requests_total{namespace,rollout,role,revision,code}          counter
//   model_request_duration_seconds_{bucket,sum,count}{...,le}           histogram
//   model_prediction_{bucket,sum,count}{...,le}                         histogram
//   model_absolute_error_{sum,count}{namespace,rollout,role,revision}   summary without quantiles
//   model_absolute_error_squared_sum{namespace,rollout,role,revision}   counter
// Series of a rollout disappear when it is removed (removeRollout).
// Thread-safety: all methods are safe from any thread (collect() runs on the HTTP thread).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "e2e/simulator/request_sampler.h"

namespace mr::sim {

struct SeriesKey {
  std::string ns;
  std::string rollout;
  std::string role;
  std::string revision;
  auto operator<=>(const SeriesKey&) const = default;
};

class MetricsStore final : public prometheus::Collectable {
 public:
  void add(const SeriesKey& key, const RoleTick& tick);
  void removeRollout(const std::string& ns, const std::string& rollout);
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Totals for tests and logs: requests of a key by code ("200", "500", "503").
  uint64_t requests(const SeriesKey& key, const std::string& code) const;
  size_t seriesCount() const;

 private:
  struct Series {
    std::map<std::string, uint64_t> requests_by_code;
    std::vector<uint64_t> duration_counts;
    double duration_sum = 0;
    std::vector<uint64_t> prediction_counts;
    double prediction_sum = 0;
    uint64_t labelled = 0;
    double abs_error_sum = 0;
    double abs_error_squared_sum = 0;
  };

  mutable std::mutex mu_;
  std::map<SeriesKey, Series> series_;  // GUARDED_BY(mu_)
};

// The text exposition of a store (Prometheus text format 0.0.4).
std::string renderText(const prometheus::Collectable& store);

}  // namespace mr::sim
