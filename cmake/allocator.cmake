# The services' allocator. Under a PATCH load glibc's malloc spent about a tenth of all CPU in
# its slow paths (_int_malloc, unlink_chunk, malloc_consolidate: JSON documents, protobuf
# messages and libpq results of many sizes, freed in bursts); jemalloc's per-thread caches and
# size classes took 15-25 us of CPU off each service per PATCH (docs/DECISIONS.md, 23).
#
# OI_ALLOCATOR: auto (jemalloc when installed, unless the build is sanitized or fuzzed: those
# bring their own allocator), jemalloc (required), system (glibc's).
set(OI_ALLOCATOR "auto" CACHE STRING "allocator of the service binaries: auto, jemalloc, system")
set_property(CACHE OI_ALLOCATOR PROPERTY STRINGS auto jemalloc system)

set(OI_ALLOCATOR_LIB "")
if(OI_ALLOCATOR STREQUAL "jemalloc" OR (OI_ALLOCATOR STREQUAL "auto" AND NOT OI_SANITIZE AND NOT OI_FUZZ))
  # the shared library: linked ahead of libc, its malloc and free serve every library of the process
  find_library(OI_JEMALLOC_LIB NAMES libjemalloc.so.2 jemalloc)
  if(OI_JEMALLOC_LIB)
    set(OI_ALLOCATOR_LIB ${OI_JEMALLOC_LIB})
    message(STATUS "allocator: jemalloc (${OI_JEMALLOC_LIB})")
  elseif(OI_ALLOCATOR STREQUAL "jemalloc")
    message(FATAL_ERROR "OI_ALLOCATOR=jemalloc but libjemalloc is not installed (apt-get install libjemalloc-dev)")
  else()
    message(WARNING "libjemalloc not found: the services use glibc's malloc (apt-get install libjemalloc-dev)")
  endif()
elseif(OI_ALLOCATOR STREQUAL "jemalloc" AND (OI_SANITIZE OR OI_FUZZ))
  message(FATAL_ERROR "OI_ALLOCATOR=jemalloc cannot be combined with a sanitizer or fuzz build")
endif()
# kept whatever the linker's --as-needed: no object names jemalloc, it replaces what they name
set(OI_ALLOCATOR_LINK "")
if(OI_ALLOCATOR_LIB)
  set(OI_ALLOCATOR_LINK "-Wl,--push-state,--no-as-needed" ${OI_ALLOCATOR_LIB} "-Wl,--pop-state")
else()
  message(STATUS "allocator: system")
endif()
