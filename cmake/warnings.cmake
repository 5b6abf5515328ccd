function(oi_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wformat=2
    -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter)
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
endfunction()
