# Writes OUT: a C++ file defining `const std::vector<rapport::core::Asset> NAME` in namespace
# NS, one entry per file of INPUTS, in the order given.
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(content "#include \"core/asset.hpp\"\nnamespace ${NS} {\nextern const std::vector<rapport::core::Asset> ${NAME};\nconst std::vector<rapport::core::Asset> ${NAME} = {\n")
foreach(input IN LISTS INPUTS)
  get_filename_component(name ${input} NAME)
  file(READ ${input} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND content "  {\"${name}\", [] { static const char d[] = {${bytes} 0}; return std::string_view(d, sizeof(d) - 1); }()},\n")
endforeach()
string(APPEND content "};\n}  // namespace ${NS}\n")
file(WRITE ${OUT} "${content}")
