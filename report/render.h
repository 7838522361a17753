// The report's readers: report.md (tables a person reads), report.json (the
// same data, documented in docs/report.md) and the plots (report/plot.h).
#ifndef SOFTCHECK_REPORT_RENDER_H_
#define SOFTCHECK_REPORT_RENDER_H_

#include <string>
#include <vector>

#include "report/model.h"
#include "report/plot.h"

namespace softcheck::report {

// One cell as JSON and back (the measuring worker's messages use it too).
// Non-finite numbers are written as the strings "inf", "-inf" and "nan".
std::string CellToJson(const Cell& cell);
bool CellFromJson(const std::string& text, Cell* cell);

std::string ReportJson(const Report& report);
std::string ReportMarkdown(const Report& report);

// The plot of one section: max ULP error against ns per element.
PlotSpec SectionPlot(const Section& section, const Report& report);
std::string PlotFileName(const Section& section);  // "plot-softmax-f32.svg"

// Creates dir (and its parents) and checks that a file can be written
// there. "" or one line.
std::string PrepareOutputDir(const std::string& dir);

// Writes report.md, report.json and one SVG plot per section (and a PNG of
// each when rsvg-convert is there) into dir; fills report->plots. "" or
// one line of trouble; lesser notes (no PNG) go to *notes.
std::string WriteReport(Report* report, const std::string& dir, std::vector<std::string>* notes);

}  // namespace softcheck::report

#endif  // SOFTCHECK_REPORT_RENDER_H_
