# embed_schema.cmake: turn schema/NNN-name.sql into a C file, at build time.
#
# Run as: cmake -DSCHEMA_DIR=<dir> -DOUT=<file.c> -P embed_schema.cmake
#
# Every *.sql of SCHEMA_DIR, sorted by name, becomes one entry
# {version, name, sql} of store_schema_files[] (see src/store_migrate.h),
# the SQL as a NUL-terminated array of bytes (a string literal would hit
# C11's 4095-character limit, which -Wpedantic enforces). The version is
# NNN. The files must be named NNN-name.sql (name: [a-z0-9_-]+) and their
# versions must run 1, 2, 3, ... without a gap or a duplicate; anything
# else stops the build with the offending file named.
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED SCHEMA_DIR OR NOT DEFINED OUT)
  message(FATAL_ERROR "embed_schema.cmake: SCHEMA_DIR and OUT must be set")
endif()
# ARRAY and HEADER name the array (ARRAY_files[], ARRAY_count) and the
# header declaring it: store_schema and store_migrate.h (the SQLite series)
# unless given (the PostgreSQL series: store_pg_schema, store_pg_schema.h).
if(NOT DEFINED ARRAY)
  set(ARRAY store_schema)
endif()
if(NOT DEFINED HEADER)
  set(HEADER store_migrate.h)
endif()

file(GLOB files LIST_DIRECTORIES false "${SCHEMA_DIR}/*.sql")
list(SORT files)
list(LENGTH files n)
if(n EQUAL 0)
  message(FATAL_ERROR "embed_schema.cmake: no schema file (NNN-name.sql) in ${SCHEMA_DIR}")
endif()

set(arrays "")
set(entries "")
set(expect 1)
foreach(f IN LISTS files)
  get_filename_component(name "${f}" NAME)
  if(NOT name MATCHES "^([0-9][0-9][0-9])-[a-z0-9_-]+\\.sql$")
    message(FATAL_ERROR "embed_schema.cmake: ${f}: a schema file must be named NNN-name.sql (name: [a-z0-9_-]+)")
  endif()
  set(nnn "${CMAKE_MATCH_1}")
  # "007" -> 7 without octal surprises.
  math(EXPR version "1${nnn} - 1000")
  if(NOT version EQUAL expect)
    message(FATAL_ERROR "embed_schema.cmake: ${f}: version ${version} found where ${expect} was expected (versions run 1, 2, 3, ... without gaps or duplicates)")
  endif()
  math(EXPR expect "${expect} + 1")

  file(READ "${f}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  if(hexlen EQUAL 0)
    message(FATAL_ERROR "embed_schema.cmake: ${f} is empty")
  endif()
  # 16 bytes a line, each as 0xNN,
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REPEAT "0x[0-9a-f][0-9a-f]," 16 line16)
  string(REGEX REPLACE "(${line16})" "\\1\n\t" bytes "${bytes}")
  string(APPEND arrays "/* ${name} */\nstatic const char schema_${nnn}[] = {\n\t${bytes}0x00};\n\n")
  string(APPEND entries "\t{${version}, \"${name}\", schema_${nnn}},\n")
endforeach()

get_filename_component(OUT_NAME "${OUT}" NAME)
get_filename_component(SCHEMA_DIR_NAME "${SCHEMA_DIR}" NAME)
file(WRITE "${OUT}"
"/*
 * ${OUT_NAME}: the schema files of ${SCHEMA_DIR_NAME}, embedded. Generated at build
 * time by cmake/embed_schema.cmake from the schema/NNN-name.sql files: do
 * not edit this file; edit those (add a new NNN-name.sql file for a change,
 * never change a released one).
 */
#include \"${HEADER}\"

${arrays}const struct store_schema_file ${ARRAY}_files[] = {
${entries}};

const size_t ${ARRAY}_count = ${n};
")
