# ot_add_tool(NAME SOURCES... LIBS ...): a program with its man page and
# shell completions, installed together. Every tool includes
# tools/common/tool.h, whose contract-size options read the venue registry.
function(ot_add_tool name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ot_options ot::venues ot::metrics ${ARG_LIBS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  set(src ${PROJECT_SOURCE_DIR})
  if(EXISTS ${src}/man/${name}.1)
    install(FILES ${src}/man/${name}.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
  if(EXISTS ${src}/completions/${name}.bash)
    install(FILES ${src}/completions/${name}.bash
            DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${name})
  endif()
  if(EXISTS ${src}/completions/_${name})
    install(FILES ${src}/completions/_${name} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
  endif()
  if(EXISTS ${src}/completions/${name}.fish)
    install(FILES ${src}/completions/${name}.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
  endif()
endfunction()
