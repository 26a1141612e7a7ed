#!/bin/bash
# Regenerates validate/src/plot_report_script.cpp from validate/report/plot_report.py (run after editing the .py).
cd "$(dirname "$0")/../.."
{
echo '// Generated from validate/report/plot_report.py (kept identical by the test'
echo '// ReportWriter.BuiltinScriptMatchesTheFile); edit the .py file and copy it here.'
echo '#include "sedpdf/validate/report.hpp"'
echo ''
echo 'namespace sedpdf {'
echo ''
echo 'const std::string& builtin_plot_script() {'
echo '  static const std::string script = R"PYSCRIPT('"$(cat validate/report/plot_report.py)"
echo ')PYSCRIPT";'
echo '  return script;'
echo '}'
echo ''
echo '}  // namespace sedpdf'
} > validate/src/plot_report_script.cpp
