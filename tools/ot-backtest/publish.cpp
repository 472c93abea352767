#include "publish.h"

#include <cstdio>
#include <fstream>

#include "../common/tool.h"

namespace ot {

int publish_results(const std::vector<std::vector<std::pair<std::string, std::string>>>& combos,
                    const std::vector<BacktestResult>& results, const std::vector<char>& ok,
                    const std::string& report_dir, const std::vector<Threshold>& thresholds,
                    Diagnostics& diag) {
  int rc = 0;
  for (std::size_t i = 0; i < combos.size(); ++i) {
    if (!ok[i]) {
      rc = results[i].config_error ? tool::kExitUsage : tool::kExitFailure;
      continue;
    }
    std::printf("%s\n", results[i].summary.c_str());
    const std::string dir =
        combos.size() == 1 ? report_dir : report_dir + "/run-" + std::to_string(i + 1);
    if (!report_dir.empty()) {
      if (auto written = write_report(dir, results[i]); !written) {
        diag.error("", written.error().message());
        rc = tool::kExitFailure;
      }
    }
    for (const auto& t : thresholds) {
      if (!crossed(t, results[i])) continue;
      diag.warning(combos.size() == 1 ? "" : "run " + std::to_string(i + 1),
                   "threshold crossed: " + t.text + " (" + t.metric + " is " +
                       std::to_string(results[i].metric(t.metric)) + ")");
      if (rc == 0) rc = kExitThreshold;
    }
  }
  if (combos.size() > 1 && !report_dir.empty()) {
    std::ofstream f(report_dir + "/grid.csv", std::ios::binary);
    const std::string csv = grid_csv(combos, results);
    if (!(f << csv) || !f.flush()) {
      diag.error("", "cannot write " + report_dir + "/grid.csv");
      rc = tool::kExitFailure;
    }
  }
  return rc;
}

}  // namespace ot
