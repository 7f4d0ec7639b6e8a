/*
 * store_pg_schema.h: the PostgreSQL series of the schema, schema/pg/NNN-name.sql,
 * embedded at build time by cmake/embed_schema.cmake (the generated
 * store_pg_schema.c) as store_migrate.h's store_schema_files[] is for
 * SQLite. Both series have the same numbers and names (tests/it_pg_schema.sh).
 */
#ifndef WEGAUGE_STORE_PG_SCHEMA_H
#define WEGAUGE_STORE_PG_SCHEMA_H

#include "store_migrate.h"

/* Every PostgreSQL schema file, versions 1 .. store_pg_schema_count in order. */
extern const struct store_schema_file store_pg_schema_files[];
extern const size_t store_pg_schema_count;

#endif
