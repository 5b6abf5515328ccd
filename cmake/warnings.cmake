function(oi_warnings target)
  # the prototype warnings exist for C only (g++ rejects them under -Werror); C++ files get
  # -Wmissing-declarations, the same check for functions with no prior declaration
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wformat=2
    -Wno-unused-parameter
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>
    $<$<COMPILE_LANGUAGE:CXX>:-Wmissing-declarations>)
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
endfunction()
