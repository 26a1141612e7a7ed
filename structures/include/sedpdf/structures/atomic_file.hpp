// sedpdf/structures/atomic_file.hpp — write-then-rename output files: the final name appears only when
// the content is complete, and an existing file of that name is untouched by a failed run.
#pragma once
#include <fstream>
#include <functional>
#include <string>

namespace sedpdf {

/// Calls `write(tmp_path)` with a temporary path in the destination's directory, then renames it to
/// `path`. If `write` throws, the temporary file is removed and the exception propagates.
void write_file_atomically(const std::string& path, const std::function<void(const std::string&)>& write);

/// Text convenience: `write(stream)`; stream errors (disk full, etc.) throw std::runtime_error.
void write_text_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace sedpdf
