# One man page from the built binary's --help (cmake -P, run by cmake/packaging.cmake):
# tunectl.1.gz when VERB is empty, else tunectl-VERB.1.gz from `tunectl VERB --help`.
# In: HELP2MAN, TUNECTL (the binary), VERB, VERBS (comma-separated, for the main page's SEE ALSO), VERSION, OUT.
get_filename_component(work ${OUT} DIRECTORY)
file(MAKE_DIRECTORY ${work})
execute_process(COMMAND ${TUNECTL} --help OUTPUT_VARIABLE usage COMMAND_ERROR_IS_FATAL ANY)

if(VERB)
  # help2man names the page after the program it runs: a wrapper called tunectl-VERB.
  set(program ${work}/tunectl-${VERB})
  file(WRITE ${program} "#!/bin/sh\nexec '${TUNECTL}' ${VERB} \"$@\"\n")
  file(CHMOD ${program} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  # The one-line summary is the verb's line in `tunectl --help`.
  string(REGEX MATCH "\n  ${VERB} +([^\n]+)" line "${usage}")
  if(NOT line)
    message(FATAL_ERROR "verb ${VERB} has no summary line in `tunectl --help`")
  endif()
  set(summary ${CMAKE_MATCH_1})
  set(see_also ".BR tunectl (1)")
else()
  set(program ${TUNECTL})
  set(summary "benchmark-driven Linux kernel tuning")
  string(REPLACE "," ";" verbs "${VERBS}")
  list(TRANSFORM verbs PREPEND ".BR tunectl-")
  list(TRANSFORM verbs APPEND " (1)")
  list(JOIN verbs ",\n" see_also)
endif()
file(WRITE ${OUT}.include "[SEE ALSO]\n${see_also}\n")

execute_process(COMMAND ${HELP2MAN} --no-info --version-string=${VERSION}
                        --name=${summary} --include=${OUT}.include --output=${OUT}.tmp ${program}
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND gzip -9nc ${OUT}.tmp OUTPUT_FILE ${OUT} COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE ${OUT}.tmp ${OUT}.include)
if(VERB)
  file(REMOVE ${program})
endif()
