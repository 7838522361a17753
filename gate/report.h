// The gate's reports: one result, three readers.
//   * Human: one line per property (STATUS  Property (clause)  cases  time),
//     a failure's counterexample, findings and reproduction command beneath.
//   * JSON: stable keys, documented in docs/gate.md (schema 1).
//   * JUnit XML: one <testcase> per implementation x property, the dialect
//     GitLab and Jenkins read as is (failure for FAIL/XPASS, error for
//     CRASH/HANG, skipped for SKIP).
#ifndef SOFTCHECK_GATE_REPORT_H_
#define SOFTCHECK_GATE_REPORT_H_

#include <string>
#include <vector>

#include "gate/check.h"

namespace softcheck {

std::string HumanReport(const std::vector<GateResult>& runs);
std::string JsonReport(const std::vector<GateResult>& runs);
std::string JunitReport(const std::vector<GateResult>& runs);

// Writes text to path; "" or a one-line reason.
std::string WriteFile(const std::string& path, const std::string& text);

}  // namespace softcheck

#endif  // SOFTCHECK_GATE_REPORT_H_
