# cmake -DIN=<file> -DOUT=<file.c> -DSYM=<name> -P embed.cmake: the bytes of IN as a C array
# SYM (NUL-terminated) and its length SYM_len, so a binary carries a document of its own.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}" "/* generated from ${name} by cmake/embed.cmake: do not edit */\n#include <stddef.h>\n"
     "const unsigned char ${SYM}[] = {${bytes}0x00};\nconst size_t ${SYM}_len = sizeof ${SYM} - 1;\n")
