// A small XML well-formedness check for the report's SVG (the test suite has
// no XML library): one root element, every tag closed in order, attributes
// quoted, only the predefined and numeric entities. "" or what is wrong.
#ifndef SOFTCHECK_TESTS_REPORT_XML_CHECK_H_
#define SOFTCHECK_TESTS_REPORT_XML_CHECK_H_

#include <string>

namespace softcheck::testing {

std::string CheckXml(const std::string& text);

}  // namespace softcheck::testing

#endif  // SOFTCHECK_TESTS_REPORT_XML_CHECK_H_
