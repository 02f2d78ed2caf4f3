#include "bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/str_cat.h"

namespace im::bench {
namespace {

std::string Number(double v) {
  char buf[64];
  if (std::fabs(v) >= 100 || v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string Mib(std::int64_t bytes) { return Number(static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

void Report::AddCpuPer(const std::string& what, double units) {
  if (!usage || units <= 0) return;
  Add(common::StrCat("cluster CPU per ", what), usage->cluster_cpu_seconds * 1e6 / units, "us",
      true);
  Add(common::StrCat("bench CPU per ", what), usage->bench_cpu_seconds * 1e6 / units, "us");
}

std::string Report::Table() const {
  std::string out = common::StrCat("== ", scenario, "  ", parameters, "\n");
  if (!failure.empty()) out += common::StrCat("  FAILED: ", failure, "\n");
  for (const auto& f : figures) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-36s %14s %s\n", f.name.c_str(), Number(f.value).c_str(),
                  f.unit.c_str());
    out += line;
  }
  if (delivery) {
    out +=
        common::StrCat("  delivery check: delivered=", delivery->delivered,
                       " lost=", delivery->lost, " duplicated=", delivery->duplicated,
                       " reordered=", delivery->reordered, " unexpected=", delivery->unexpected,
                       " unsettled=", delivery->unsettled, " pushed_ahead=", delivery->pushed_ahead,
                       !delivery->guarantees_held() ? "  BROKEN GUARANTEE\n"
                       : delivery->unsettled > 0    ? "  NOT SETTLED (overloaded)\n"
                                                    : "  OK\n");
  }
  if (usage) {
    out += common::StrCat("  CPU over ", Number(usage->seconds),
                          " s (cpu-seconds, RSS MiB start->end):");
    for (const auto& p : usage->cluster) {
      out += common::StrCat(" ", p.name, "=", Number(p.cpu_seconds), p.alive ? "" : "(exited)",
                            " (", Mib(p.rss_start), "->", Mib(p.rss_end), ")");
    }
    out += common::StrCat("\n  cluster=", Number(usage->cluster_cpu_seconds),
                          " bench=", Number(usage->bench_cpu_seconds), " cores busy:");
    for (double c : usage->core_busy_share) out += common::StrCat(" ", Number(c * 100), "%");
    out += common::StrCat("  bound by: ", usage->Bound(), "\n");
  }
  return out;
}

std::string Report::SummaryRow() const {
  std::string figs;
  for (const auto& f : figures) {
    if (!f.headline) continue;
    figs += common::StrCat(figs.empty() ? "" : "; ", f.name, " ", Number(f.value),
                           f.unit.empty() ? "" : " ", f.unit);
  }
  if (!failure.empty()) figs = common::StrCat("FAILED: ", failure, figs.empty() ? "" : "; ", figs);
  std::string check = "-";
  if (delivery) {
    check = delivery->ok()
                ? common::StrCat("ok (", delivery->delivered, " delivered, ",
                                 delivery->pushed_ahead, " pushed ahead of a gap)")
                : common::StrCat("lost ", delivery->lost, " dup ", delivery->duplicated, " reord ",
                                 delivery->reordered, " unexp ", delivery->unexpected,
                                 " unsettled ", delivery->unsettled);
  }
  std::string cpu = "-";
  if (usage) {
    cpu = common::StrCat(Number(usage->cluster_cpu_seconds / std::max(1e-9, usage->seconds)),
                         " cores (");
    for (std::size_t i = 0; i < usage->cluster.size(); ++i) {
      const auto& p = usage->cluster[i];
      cpu += common::StrCat(
          i ? " " : "", p.name, " ",
          Number(100 * p.cpu_seconds / std::max(1e-9, usage->cluster_cpu_seconds)), "%");
    }
    cpu += ")";
  }
  return common::StrCat("| ", scenario, " | ", parameters, " | ", figs, " | ", cpu, " | ", check,
                        " | ", usage ? usage->Bound() : "-", " |");
}

std::string Report::Json() const {
  std::string out = common::StrCat("{\"scenario\":", JsonString(scenario),
                                   ",\"parameters\":", JsonString(parameters),
                                   ",\"ok\":", ok() ? "true" : "false");
  if (!failure.empty()) out += common::StrCat(",\"failure\":", JsonString(failure));
  out += ",\"figures\":[";
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const auto& f = figures[i];
    out += common::StrCat(i ? "," : "", "{\"name\":", JsonString(f.name),
                          ",\"value\":", std::isfinite(f.value) ? Number(f.value) : "null",
                          ",\"unit\":", JsonString(f.unit), "}");
  }
  out += "]";
  if (delivery) {
    out += common::StrCat(
        ",\"delivery\":{\"delivered\":", delivery->delivered, ",\"lost\":", delivery->lost,
        ",\"duplicated\":", delivery->duplicated, ",\"reordered\":", delivery->reordered,
        ",\"unexpected\":", delivery->unexpected, ",\"unsettled\":", delivery->unsettled,
        ",\"pushed_ahead\":", delivery->pushed_ahead, "}");
  }
  if (usage) {
    out += common::StrCat(",\"usage\":{\"seconds\":", Number(usage->seconds),
                          ",\"cluster_cpu_seconds\":", Number(usage->cluster_cpu_seconds),
                          ",\"bench_cpu_seconds\":", Number(usage->bench_cpu_seconds),
                          ",\"bound\":", JsonString(usage->Bound()), ",\"processes\":[");
    for (std::size_t i = 0; i < usage->cluster.size(); ++i) {
      const auto& p = usage->cluster[i];
      out += common::StrCat(i ? "," : "", "{\"name\":", JsonString(p.name),
                            ",\"cpu_seconds\":", Number(p.cpu_seconds),
                            ",\"rss_start\":", p.rss_start, ",\"rss_end\":", p.rss_end, "}");
    }
    out += "],\"core_busy\":[";
    for (std::size_t i = 0; i < usage->core_busy_share.size(); ++i) {
      out += common::StrCat(i ? "," : "", Number(usage->core_busy_share[i]));
    }
    out += "]}";
  }
  return out + "}";
}

}  // namespace im::bench
