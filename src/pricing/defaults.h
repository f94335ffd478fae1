// OpenCost's default prices (configs/default.json, "based on GCP us-central1"), USD.
// The last fallback of the Pricer, and the source of the CPU:RAM:GPU split ratios.
#pragma once

namespace trimtab::pricing {

inline constexpr double kDefaultCpuPerCoreHour = 0.031611;
inline constexpr double kDefaultRamPerGiBHour = 0.004237;
inline constexpr double kDefaultGpuPerGpuHour = 0.95;
inline constexpr double kDefaultSpotCpuPerCoreHour = 0.006655;
inline constexpr double kDefaultSpotRamPerGiBHour = 0.000892;
// OpenCost has no spot GPU default; Trimtab scales the on-demand GPU default by the CPU spot
// ratio (0.006655 / 0.031611).
inline constexpr double kDefaultSpotGpuPerGpuHour =
    kDefaultGpuPerGpuHour * kDefaultSpotCpuPerCoreHour / kDefaultCpuPerCoreHour;
// Spot price = on-demand × this ratio when the catalog has no spot price for a type.
inline constexpr double kDefaultSpotToOnDemandRatio =
    kDefaultSpotCpuPerCoreHour / kDefaultCpuPerCoreHour;
inline constexpr double kDefaultStoragePerGiBHour = 0.00005479452;  // $0.04 / GiB-month
inline constexpr double kHoursPerMonth = 730.0;                     // OpenCost's month
inline constexpr double kDefaultZoneEgressPerGiB = 0.01;
inline constexpr double kDefaultRegionEgressPerGiB = 0.01;
inline constexpr double kDefaultInternetEgressPerGiB = 0.12;
// OpenCost's AWS load-balancer price (first five forwarding rules), USD per hour.
inline constexpr double kDefaultLoadBalancerPerHour = 0.025;

}  // namespace trimtab::pricing
