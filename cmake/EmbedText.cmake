# cmake -DIN=file -DOUT=file.cpp -P EmbedText.cmake
# Writes a .cpp defining hotline::app::embedded_config_text() that returns IN's bytes.
file(READ ${IN} _text HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _bytes "${_text}")
file(WRITE ${OUT}
"// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace hotline::app {\nnamespace {\nconstexpr char kText[] = {${_bytes} 0};\n}  // namespace\nstd::string_view embedded_config_text() { return {kText, sizeof(kText) - 1}; }\n}  // namespace hotline::app\n")
