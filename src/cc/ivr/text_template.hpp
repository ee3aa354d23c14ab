// ${variable} templates of IVR flows (prompt text, URLs, transfer numbers, set).
// A '$' not followed by '{' is literal. Variable names are [A-Za-z_][A-Za-z0-9_]*.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace hotline::cc::ivr {

// The variables a template refers to, in order; an error for "${" without "}" or a
// bad name.
Result<std::vector<std::string>> template_variables(std::string_view tmpl);

bool valid_variable_name(std::string_view name);

// Fills the template; `lookup` gives a variable's value ("" when unset). With
// `percent_encode`, values are percent-encoded (RFC 3986 unreserved kept), for URLs.
std::string render_template(std::string_view tmpl,
                            const std::function<std::string_view(std::string_view)>& lookup,
                            bool percent_encode = false);

}  // namespace hotline::cc::ivr
